"""A live API server on loopback over a small synthetic bank (built once per session)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from portrait.cli.app import app
from portrait.services import users

PASSWORD = "s3cret-pass"
ROLES = ("admin", "analyst", "marketer", "relationship_manager", "compliance")


@dataclass
class Bank:
    """The test workspace and the ids the tests need."""

    root: Path
    rm_id: str
    own: str        # a customer of the relationship manager
    other: str      # a customer of another relationship manager
    spare: list[str] = field(default_factory=list)  # customers tests may correct or erase
    copy: Path | None = None  # the same workspace, for a second server (the fuzz run)


def _cli(*args: str) -> None:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    os.environ.pop("PORTRAIT_KEY", None)
    root = tmp_path_factory.mktemp("api") / "ws"
    _cli("ingest", "synth", "--customers", "500", "--seed", "3", "-w", str(root))
    _cli("tags", "build", "-w", str(root))
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        rm_id, own = con.execute("SELECT rm_id, min(customer_id) FROM customers WHERE rm_id IS NOT "
                                 "NULL GROUP BY rm_id ORDER BY count(*) DESC, rm_id LIMIT 1").fetchone()
        other = con.execute("SELECT min(customer_id) FROM customers WHERE rm_id IS NOT NULL "
                            "AND rm_id <> ?", [rm_id]).fetchone()[0]
        spare = [r[0] for r in con.execute("SELECT customer_id FROM customers WHERE rm_id IS NULL "
                                           "ORDER BY customer_id DESC LIMIT 10").fetchall()]
    finally:
        con.close()
    for role in ROLES:
        users.add_user(root, role, role, PASSWORD,
                       rm_id=rm_id if role == "relationship_manager" else None)
    users.add_user(root, "gone", "analyst", PASSWORD)
    copy = root.parent / "copy"
    shutil.copytree(root, copy)
    return Bank(root, rm_id, own, other, spare, copy)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Live:
    url: str
    bank: Bank
    tokens: dict[str, str]

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def audit(self, **filters: str) -> list[dict[str, Any]]:
        """Audit entries (up to 500, newest first), as compliance browses them."""
        with self.client("compliance") as c:
            r = c.get("/api/audit", params={"limit": 500, **filters})
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items


def start_server(root: Path, factory: str = "portrait.api.app:create_app",
                 ready: str = "/api/health") -> tuple[subprocess.Popen[bytes], str]:
    """Start uvicorn on a free loopback port with the app ``factory``; wait until ``ready`` answers."""
    port = _free_port()
    env = {**os.environ, "PORTRAIT_HOME": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", factory,
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}{ready}", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the server did not start in 90 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def live(bank: Bank) -> Iterator[Live]:
    proc, url = start_server(bank.root)
    try:
        tokens = {}
        for role in (*ROLES, "gone"):
            r = httpx.post(f"{url}/api/auth/token", data={"username": role, "password": PASSWORD})
            assert r.status_code == 200, r.text
            tokens[role] = r.json()["access_token"]
        yield Live(url, bank, tokens)
    finally:
        stop_server(proc)
