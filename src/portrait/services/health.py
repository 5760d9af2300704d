"""Liveness and readiness of a served workspace (no authentication needed)."""

from __future__ import annotations

from typing import Any

from portrait import __version__
from portrait.services.access import Session
from portrait.tags import snapshots


def health(session: Session) -> dict[str, Any]:
    """The version, and the latest tag snapshot the API serves (``null`` before any build)."""
    snap = snapshots.find(session.engine(), None)
    return {"status": "ok", "version": __version__,
            "snapshot": None if snap is None else {"as_of": snap["as_of"].isoformat(),
                                                   "customers": snap["customers"]}}
