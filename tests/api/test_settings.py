"""Server settings read from the workspace: the audit writer's interval."""

from __future__ import annotations

import pytest

from portrait.api.app import DEFAULT_AUDIT_FLUSH_MS, Settings, audit_flush_ms
from portrait.errors import ConfigError
from portrait.services import access
from portrait.store import Workspace


def _with_serve(workspace: Workspace, line: str) -> access.Session:
    path = workspace.root / "portrait.toml"
    path.write_text(path.read_text(encoding="utf-8") + f"\n[serve]\n{line}\n", encoding="utf-8")
    return access.open_session(workspace.root)


def test_default_and_explicit_interval(workspace: Workspace) -> None:
    session = access.open_session(workspace.root)
    try:
        assert audit_flush_ms(Settings(), session) == DEFAULT_AUDIT_FLUSH_MS
        assert audit_flush_ms(Settings(audit_flush_ms=0), session) == 0
    finally:
        session.close()


def test_interval_from_the_workspace_and_bad_values(workspace: Workspace) -> None:
    session = _with_serve(workspace, "audit_flush_ms = 50")
    try:
        assert audit_flush_ms(Settings(), session) == 50
        session.ws.config["serve"]["audit_flush_ms"] = "fast"
        with pytest.raises(ConfigError, match="audit_flush_ms"):
            audit_flush_ms(Settings(), session)
    finally:
        session.close()
