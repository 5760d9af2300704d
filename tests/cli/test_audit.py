"""``portrait audit verify`` fails on a tampered log; ``portrait audit list`` shows entries."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from portrait.cli.app import app
from portrait.services import users
from portrait.store import Workspace

runner = CliRunner()


@pytest.fixture
def logged(workspace: Workspace) -> Workspace:
    for n in range(4):
        users.add_user(workspace.root, f"user{n}", "analyst", "long-password")
    return workspace


def _run(ws: Workspace, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "-w", str(ws.root)])
    return result.exit_code, result.output


def _tamper(ws: Workspace, sql: str) -> None:
    eng = ws.engine()
    try:
        eng.execute(sql)
    finally:
        eng.close()


def test_intact_log_verifies(logged: Workspace) -> None:
    code, out = _run(logged, "audit", "verify", "--json")
    assert code == 0 and json.loads(out) == {"ok": True, "entries": 4, "first_bad_seq": None,
                                             "problem": None}
    code, out = _run(logged, "audit", "verify")
    assert code == 0 and "4 entries verified" in out


def test_edited_entry_fails_verification(logged: Workspace) -> None:
    _tamper(logged, """UPDATE audit_log SET details = '{"role":"compliance","via":"cli"}' WHERE seq = 2""")
    code, out = _run(logged, "audit", "verify", "--json")
    assert code == 1
    assert json.loads(out)["first_bad_seq"] == 2 and "modified" in json.loads(out)["problem"]
    code, out = _run(logged, "audit", "verify")
    assert code == 1 and "tampered with at entry 2" in out


def test_deleted_entry_fails_verification(logged: Workspace) -> None:
    _tamper(logged, "DELETE FROM audit_log WHERE seq = 3")
    code, out = _run(logged, "audit", "verify", "--json")
    assert code == 1 and json.loads(out)["first_bad_seq"] == 3


def test_deleted_last_entry_fails_verification(logged: Workspace) -> None:
    _tamper(logged, "DELETE FROM audit_log WHERE seq = 4")
    code, out = _run(logged, "audit", "verify", "--json")
    assert code == 1 and json.loads(out)["first_bad_seq"] == 4


def test_list_filters_and_pages(logged: Workspace) -> None:
    code, out = _run(logged, "audit", "list", "--json", "--limit", "2")
    page = json.loads(out)
    assert code == 0 and page["total"] == 4 and [e["seq"] for e in page["items"]] == [4, 3]
    code, out = _run(logged, "audit", "list", "--json", "--target", "user:user1")
    assert [e["target"] for e in json.loads(out)["items"]] == ["user:user1"]
    code, out = _run(logged, "audit", "list")
    assert code == 0 and "Audit log (4 entries match)" in out
