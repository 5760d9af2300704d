"""Portrait: the customer portrait (用户画像) platform for retail banks."""

from __future__ import annotations

__version__ = "0.1.0"
