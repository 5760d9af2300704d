"""The CLI contract: exit codes, --json, clear errors instead of tracebacks."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PORTRAIT_HOME", "PORTRAIT_KEY")}
    return subprocess.run([sys.executable, "-m", "portrait", *args], capture_output=True,
                          text=True, check=False, cwd=cwd, env=env)


def test_help_lists_the_commands() -> None:
    out = cli("--help")
    assert out.returncode == 0
    for command in ("demo", "ingest", "status", "init", "schema"):
        assert command in out.stdout


def test_usage_errors_exit_2() -> None:
    assert cli("ingest", "berka").returncode == 2
    assert cli("ingest", "csv", "x.csv").returncode == 2
    assert cli("no-such-command").returncode == 2


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    out = cli("status", "-w", str(tmp_path / "nope"))
    assert out.returncode == 2
    assert "No Portrait workspace" in out.stderr and "Traceback" not in out.stderr
    out = cli("status", "-w", str(tmp_path / "nope"), "--json")
    assert json.loads(out.stdout)["kind"] == "NotFoundError"


def test_init_creates_a_private_key(tmp_path: Path) -> None:
    out = cli("init", "-w", str(tmp_path / "ws"), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"workspace": str(tmp_path / "ws")}
    key = tmp_path / "ws" / "keys" / "workspace.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (tmp_path / "ws" / "warehouse.duckdb").exists()
    status = json.loads(cli("status", "-w", str(tmp_path / "ws"), "--json").stdout)
    assert status["tables"]["customers"] == 0 and status["default_as_of"] is None


def test_default_workspace_is_in_the_current_folder(tmp_path: Path) -> None:
    assert cli("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "portrait-workspace" / "portrait.toml").exists()


def test_unreadable_source_exits_3(tmp_path: Path) -> None:
    folder = tmp_path / "berka"
    folder.mkdir()
    (folder / "trans.asc").write_text("a;b\n", encoding="utf-8")
    out = cli("ingest", "berka", str(folder), "-w", str(tmp_path / "ws"))
    assert out.returncode == 3
    assert "district.asc: file not found" in out.stderr


def test_schema_docs_prints_the_data_model() -> None:
    out = cli("schema", "docs")
    assert out.returncode == 0
    assert "## `transactions`" in out.stdout and "**PII**" in out.stdout
