"""A live server with the web pages on loopback, over the API tests' small synthetic bank
(500 customers, one user per role) plus fitted segments and the demo campaign."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from tests.api.conftest import PASSWORD, ROLES, Bank, bank, start_server, stop_server

from portrait.services import audience, campaign, segments

__all__ = ["PASSWORD", "ROLES", "Site", "bank"]
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
