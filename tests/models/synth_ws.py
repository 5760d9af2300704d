"""A small synthetic bank with trained models, built once per test session and shared.

Building it (generate, ingest, four tag snapshots, train) is the slow part of the model
tests, so the first test that asks for it pays once; the others copy it when they write.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CUSTOMERS = 3000
_CACHE: dict[str, Any] = {}


def trained(root: Path) -> tuple[Path, dict[str, Any]]:
    """The trained workspace (under ``root`` the first time) and the training result."""
    if "ws" not in _CACHE:
        from portrait.services import ingest
        from portrait.services import models as models_service

        ws = root / "synth-models"
        ingest.ingest_synth(ws, CUSTOMERS, 7)
        result = models_service.train_all(ws, horizon="90d")
        _CACHE["ws"], _CACHE["result"] = ws, result
    return _CACHE["ws"], _CACHE["result"]


def copy(root: Path, dest: Path) -> Path:
    """A private copy of the trained workspace, for tests that change it."""
    ws, _ = trained(root)
    shutil.copytree(ws, dest)
    return dest
