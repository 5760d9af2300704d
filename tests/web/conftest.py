"""A live server with the web pages on loopback, over the API tests' small synthetic bank
(500 customers, one user per role) plus fitted segments and the demo campaign."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import PASSWORD, ROLES, Bank, bank, start_server, stop_server

from portrait.api.app import Settings
from portrait.services import audience, campaign, segments, users
from portrait.web.app import create_app

__all__ = ["PASSWORD", "ROLES", "Local", "Site", "bank", "in_process"]
#: Expressions the tests count through the pages.
COUNTED = ("gender = 'F' and holds('deposit')", "gender = 'M'")


@dataclass
class Site:
    """The live web server and the workspace behind it."""

    url: str
    bank: Bank
    campaign_id: str
    counts: dict[str, int]

    @contextmanager
    def login(self, role: str, lang: str = "en") -> Iterator[httpx.Client]:
        """A client signed in through the login form (the session cookie set)."""
        with httpx.Client(base_url=self.url, timeout=60, headers={"Accept-Language": lang},
                          follow_redirects=False) as client:
            r = client.post("/login", data={"username": role, "password": PASSWORD, "next": "/"})
            assert r.status_code == 303, r.text
            yield client


@pytest.fixture(scope="session")
def site(bank: Bank) -> Iterator[Site]:
    segments.fit(bank.root, k=3, seed=0)
    run = campaign.run_demo_campaign(bank.root, seed=0)
    # Counted before the server holds the warehouse, to compare with the pages' counts.
    counts = {e: int(audience.count(bank.root, e)["count"]) for e in COUNTED}
    proc, url = start_server(bank.root, "portrait.web.app:create_app", "/login")
    try:
        yield Site(url, bank, run["campaign_id"], counts)
    finally:
        stop_server(proc)


@dataclass
class Local:
    """The web app served in-process (no server, no segments or campaign) over a private
    copy of the API tests' bank, with one more marketer, ``auditee``, for the audit page."""

    root: Path
    client: TestClient

    def login(self, role: str) -> TestClient:
        """Sign in as ``role`` (the client's cookies are replaced)."""
        self.client.cookies.clear()
        r = self.client.post("/login", data={"username": role, "password": PASSWORD, "next": "/"})
        assert r.status_code == 303, r.text
        return self.client

    def token(self, role: str) -> dict[str, str]:
        r = self.client.post("/api/auth/token", data={"username": role, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


@contextmanager
def in_process(root: Path) -> Iterator[TestClient]:
    """The whole app (API and pages) on ``root``, started in this process."""
    app = create_app(Settings(workspace=root, warm=False))
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def local(bank: Bank, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    assert bank.copy is not None
    root = tmp_path_factory.mktemp("web-local") / "ws"
    shutil.copytree(bank.copy, root)
    users.add_user(root, "auditee", "marketer", PASSWORD)
    with in_process(root) as client:
        yield Local(root, client)
