"""``portrait users …`` end to end through the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from portrait.cli.app import app
from portrait.privacy import users
from portrait.store import Workspace

runner = CliRunner()


def _run(ws: Workspace, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "-w", str(ws.root)], input=stdin)
    return result.exit_code, result.output


def test_add_list_disable_apikey(workspace: Workspace) -> None:
    code, out = _run(workspace, "users", "add", "rm1", "--role", "relationship_manager",
                     "--rm-id", "RM-A", "--password-stdin", "--json", stdin="long-password\n")
    assert code == 0, out
    assert json.loads(out)["rm_id"] == "RM-A"
    code, out = _run(workspace, "users", "add", "cora", "--role", "compliance",
                     "--password-stdin", stdin="another-pass\n")
    assert code == 0 and "Added cora (compliance)" in out
    code, out = _run(workspace, "users", "list", "--json")
    listed = json.loads(out)
    assert [(u["username"], u["role"], u["disabled"]) for u in listed] == [
        ("cora", "compliance", False), ("rm1", "relationship_manager", False)]
    assert "password" not in out
    code, out = _run(workspace, "users", "apikey", "cora", "--json")
    key = json.loads(out)["api_key"]
    assert code == 0 and key.startswith("pk_")
    code, out = _run(workspace, "users", "disable", "cora")
    assert code == 0 and "Disabled cora" in out
    eng = workspace.engine()
    try:
        assert users.get(eng, "cora").disabled
        stored = eng.query("SELECT password_hash FROM users WHERE username = 'rm1'")[0][0]
        assert stored.startswith("$argon2id$") and "long-password" not in stored
        assert eng.query("SELECT count(*) FROM audit_log WHERE action LIKE 'users.%'")[0][0] == 4
    finally:
        eng.close()


def test_bad_role_and_short_password_are_usage_errors(workspace: Workspace) -> None:
    code, out = _run(workspace, "users", "add", "x", "--role", "boss", "--password-stdin",
                     stdin="long-password\n")
    assert code == 2 and "Unknown role 'boss'" in out
    code, out = _run(workspace, "users", "add", "x", "--role", "analyst", "--password-stdin",
                     "--json", stdin="short\n")
    assert code == 2 and json.loads(out)["kind"] == "UsageError"


def test_disable_unknown_user(workspace: Workspace) -> None:
    code, out = _run(workspace, "users", "disable", "nobody")
    assert code == 2 and "No user 'nobody'" in out
