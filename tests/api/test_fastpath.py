"""The lean profile path answers exactly as the FastAPI route does, and only what it can."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from portrait.api import fastpath
from portrait.api.app import Settings, create_app
from tests.api.conftest import PASSWORD, Bank


@pytest.mark.parametrize(("query", "lang"), [
    (b"recommendations=false", "en"), (b"recommendations=0&lang=zh", "zh"),
    (b"lang=en&recommendations=No", "en"), (b"recommendations=OFF", "en")])
def test_queries_the_lean_path_answers(query: bytes, lang: str) -> None:
    assert fastpath._lang(query) == lang


@pytest.mark.parametrize("query", [
    b"", b"lang=zh", b"recommendations=true", b"recommendations=maybe", b"recommendations=",
    b"recommendations=false&lang=fr", b"recommendations=false&lang=ZH",
    b"recommendations=false&recommendations=true", b"recommendations=false&page=2"])
def test_queries_left_to_the_route(query: bytes) -> None:
    assert fastpath._lang(query) is None


def test_credentials_the_lean_path_answers() -> None:
    assert fastpath._bearer([(b"authorization", b"Bearer abc.def")]) == "abc.def"
    assert fastpath._bearer([(b"authorization", b"bearer abc"),
                             (b"authorization", b"Basic xyz")]) == "abc"  # the first one
    for headers in ([], [(b"authorization", b"Basic abc")], [(b"authorization", b"Bearer ")],
                    [(b"authorization", b"Bearer abc"), (b"x-api-key", b"pk_1")]):
        assert fastpath._bearer(headers) is None, headers


class Counting:
    """Counts the requests the lean path passes on to the app."""

    def __init__(self, middleware: fastpath.ProfileFastPath) -> None:
        self.inner = middleware.app
        self.count = 0
        middleware.app = self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.count += 1
        await self.inner(scope, receive, send)


def _middleware(app: Any) -> fastpath.ProfileFastPath:
    layer = app.middleware_stack
    while not isinstance(layer, fastpath.ProfileFastPath):
        layer = layer.app
    return layer


@pytest.fixture
def workspace(bank: Bank, tmp_path: Path) -> Iterator[Path]:
    assert bank.copy is not None
    root = tmp_path / "ws"
    shutil.copytree(bank.copy, root)
    yield root


def _answers(root: Path, lean: bool, bank: Bank
             ) -> tuple[list[tuple[str, int, str | None, str | None, bytes]], int]:
    """Every case's (name, status, content type, challenge, body), and how many requests
    went on to the FastAPI app."""
    app = create_app(Settings(workspace=root, lean_profiles=lean))
    out = []
    with TestClient(app) as client:
        counting = Counting(_middleware(app)) if lean else None
        tokens = {role: client.post("/api/auth/token", data={"username": role,
                                                             "password": PASSWORD}
                                    ).json()["access_token"]
                  for role in ("analyst", "marketer", "relationship_manager", "compliance",
                               "admin")}
        if counting is not None:
            counting.count = 0
        cases: list[tuple[str, str, dict[str, str]]] = []
        for role, token in tokens.items():
            for customer in (bank.own, bank.other, "NO_SUCH"):
                for query in ("recommendations=false", "recommendations=0&lang=zh"):
                    cases.append((f"{role} {customer} {query}",
                                  f"/api/customers/{customer}?{query}",
                                  {"Authorization": f"Bearer {token}"}))
        cases += [("no credentials", f"/api/customers/{bank.own}?recommendations=false", {}),
                  ("bad token", f"/api/customers/{bank.own}?recommendations=false",
                   {"Authorization": "Bearer not.a.token"}),
                  ("long id", f"/api/customers/{'C' * 65}?recommendations=false",
                   {"Authorization": f"Bearer {tokens['analyst']}"}),
                  ("bad lang", f"/api/customers/{bank.own}?recommendations=false&lang=fr",
                   {"Authorization": f"Bearer {tokens['analyst']}"}),
                  ("empty lang", f"/api/customers/{bank.own}?recommendations=FALSE&lang=",
                   {"Authorization": f"Bearer {tokens['analyst']}"}),
                  ("odd id", "/api/customers/%E5%AE%A2%20%25?recommendations=no",
                   {"Authorization": f"Bearer {tokens['analyst']}"}),
                  ("encoded slash", "/api/customers/a%2Fb?recommendations=false",
                   {"Authorization": f"Bearer {tokens['analyst']}"})]
        for name, url, headers in cases:
            r = client.get(url, headers=headers)
            out.append((name, r.status_code, r.headers.get("content-type"),
                        r.headers.get("www-authenticate"), r.content))
        passed_on = counting.count if counting is not None else len(cases)
    return out, passed_on


def test_the_lean_path_answers_as_the_route_does(bank: Bank, workspace: Path) -> None:
    routed, _ = _answers(workspace, False, bank)
    lean, passed_on = _answers(workspace, True, bank)
    assert [c[0] for c in lean] == [c[0] for c in routed]
    for (name, *answer), (_, *expected) in zip(lean, routed, strict=True):
        assert answer == expected, name
    statuses = {name: status for name, status, *_ in lean}
    # what the comparison covers: profiles, refusals, unknown customers, bad credentials
    assert statuses[f"analyst {bank.own} recommendations=false"] == 200
    assert statuses[f"admin {bank.own} recommendations=false"] == 403
    assert statuses["analyst NO_SUCH recommendations=false"] == 404
    assert statuses["bad token"] == 401 and statuses["long id"] == 422
    assert statuses["odd id"] == statuses["encoded slash"] == 404
    # the lean path answered everything but what it leaves to the route: no credentials,
    # an id or a language the route rejects, a path with a slash in the id (a bad token
    # and an unknown id it answers itself)
    assert passed_on == 5
