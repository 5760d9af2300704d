"""``python -m portrait`` runs the CLI."""

from __future__ import annotations

from portrait.cli.app import main

main()
