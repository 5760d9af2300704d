"""Demo logins for every role, and how the demo server is started."""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest

from portrait.services import access, demo_serve
from portrait.store import Workspace
from tests.privacy.conftest import fill


def test_one_login_per_role_that_works(workspace: Workspace) -> None:
    fill(workspace)
    logins = demo_serve.prepare_demo_users(workspace.root)
    assert [u["role"] for u in logins] == ["admin", "analyst", "marketer", "relationship_manager",
                                           "compliance"]
    rm = next(u for u in logins if u["role"] == "relationship_manager")
    assert (rm["rm_id"], rm["own_customer"]) == ("RM-A", "C1")  # ties broken by id
    for user in logins:
        assert len(user["password"]) >= 12
        assert access.login(workspace.root, user["username"], user["password"]).access_token
    path = workspace.root / demo_serve.LOGINS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert demo_serve.prepare_demo_users(workspace.root) == logins  # same logins again


def test_serve_runs_the_web_app_on_the_workspace(workspace: Workspace,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.delenv("PORTRAIT_HOME", raising=False)
    demo_serve.serve(workspace.root, "127.0.0.1", 8123)
    assert seen == {"app": "portrait.web.app:create_app", "factory": True, "host": "127.0.0.1",
                    "port": 8123, "log_level": "warning"}
    assert os.environ["PORTRAIT_HOME"] == str(workspace.root.resolve())
    monkeypatch.delenv("PORTRAIT_HOME")
