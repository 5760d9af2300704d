"""``portrait serve`` starts the API on loopback for a workspace (and refuses a missing one)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from typer.testing import CliRunner

from portrait.cli.app import app
from portrait.store import Workspace


def test_serve_answers_health(workspace: Workspace) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "portrait", "serve", "-w", str(workspace.root),
                             "--port", str(port)], env={**os.environ},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, body = time.monotonic() + 90, None
        while time.monotonic() < deadline and body is None:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()
            except httpx.TransportError:
                time.sleep(0.3)
        assert body == {"status": "ok", "version": body["version"], "snapshot": None}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_without_a_workspace_is_a_usage_error(tmp_path: object) -> None:
    result = CliRunner().invoke(app, ["serve", "-w", f"{tmp_path}/nothing", "--json"])
    assert result.exit_code == 2 and "No Portrait workspace" in result.output
