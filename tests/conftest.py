"""Shared fixtures: where the real data sets live, and fresh workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from portrait.store import Workspace, init_workspace

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared(*parts: str) -> Path:
    """Path into ../shared/data; skips the test if the data sets are not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


@pytest.fixture
def berka_dir() -> Path:
    return shared("berka")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("PORTRAIT_KEY", raising=False)
    return init_workspace(tmp_path / "ws")
