"""The API over loopback, on a live server: the contract, roles, masking, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from portrait.privacy import tokens
from portrait.privacy.roles import Role
from portrait.store import crypto
from tests.api.conftest import PASSWORD, ROLES, Live


def test_health_needs_no_login(live: Live) -> None:
    r = httpx.get(f"{live.url}/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["snapshot"]["customers"] == 500


def test_login_gives_a_bearer_token(live: Live) -> None:
    r = httpx.post(f"{live.url}/api/auth/token", data={"username": "analyst", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["access_token"].count(".") == 2
    with httpx.Client(base_url=live.url,
                      headers={"Authorization": f"Bearer {body['access_token']}"}) as c:
        me = c.get("/api/auth/me").json()
    assert (me["name"], me["role"]) == ("analyst", "analyst")
    assert me["tag_levels"] == ["public", "internal", "confidential"]


def test_wrong_password_is_401_and_audited(live: Live) -> None:
    r = httpx.post(f"{live.url}/api/auth/token", data={"username": "analyst", "password": "nope-nope"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["kind"] == "AuthenticationError"
    assert any(e["outcome"] == "denied" for e in live.audit(action="auth.login", actor="analyst"))


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not.a.token"},
                                     {"X-API-Key": "pk_nothing_here"}])
def test_no_or_bad_credentials_are_401(live: Live, headers: dict[str, str]) -> None:
    r = httpx.get(f"{live.url}/api/customers/{live.bank.own}", headers=headers)
    assert r.status_code == 401
    assert set(r.json()) == {"error", "hint", "kind"}


def test_expired_token_is_401(live: Live) -> None:
    secret = tokens.secret_from_key(crypto.load_key(live.bank.root / "keys" / "workspace.key"))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    token, _ = tokens.issue(secret, "analyst", Role.ANALYST, None, ttl=dt.timedelta(hours=1),
                            now=past)
    r = httpx.get(f"{live.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "expired" in r.json()["error"]


def _profile(live: Live, role: str, customer: str) -> httpx.Response:
    with live.client(role) as c:
        return c.get(f"/api/customers/{customer}")


def test_rm_sees_pii_of_own_customers_only(live: Live) -> None:
    own = _profile(live, "relationship_manager", live.bank.own).json()
    other = _profile(live, "relationship_manager", live.bank.other).json()
    assert own["access"]["pii"] == "clear" and "*" not in own["pii"]["phone"]
    assert own["pii"]["phone"].isdigit() and len(own["pii"]["phone"]) == 11
    assert other["access"]["pii"] == "masked" and "****" in other["pii"]["phone"]
    own_tags = {t["sensitivity"] for fam in own["tags"].values() for t in fam}
    other_tags = {t["sensitivity"] for fam in other["tags"].values() for t in fam}
    assert "restricted" in own_tags and "restricted" not in other_tags


@pytest.mark.parametrize(("role", "form", "top"), [
    ("analyst", "masked", "confidential"), ("marketer", "masked", "internal"),
    ("compliance", "clear", "restricted")])
def test_profile_form_by_role(live: Live, role: str, form: str, top: str) -> None:
    body = _profile(live, role, live.bank.other).json()
    assert body["access"]["pii"] == form and body["access"]["tag_levels"][-1] == top
    seen = {t["sensitivity"] for fam in body["tags"].values() for t in fam}
    levels = ("public", "internal", "confidential", "restricted")
    assert seen <= set(levels[: levels.index(top) + 1])
    assert body["customer_id"] == live.bank.other and body["holdings"]
    assert set(body["consents"]) and "recommendations" in body
    views = live.audit(action="customers.view", actor=role, target=f"customer:{live.bank.other}")
    assert views and views[0]["details"]["pii"] == form


def test_profile_in_chinese(live: Live) -> None:
    with live.client("analyst") as c:
        body = c.get(f"/api/customers/{live.bank.own}", params={"lang": "zh"}).json()
    titles = [t["title"] for fam in body["tags"].values() for t in fam]
    assert any("\u4e00" <= ch <= "\u9fff" for title in titles for ch in title)


#: A campaign spec in block style (the matrix fills ``{role}`` in with ``str.format``).
PLAN_SPEC = """\
id: matrix_plan_{role}
name: Matrix plan
objective:
  product: WM_FIX_1Y
audience:
  expression: gender = 'F'
channels:
  - channel: app_push
    cost: 0.02
templates:
  zh: 理财非存款、产品有风险、投资须谨慎。
  en: Wealth management products are not deposits; products carry risk; invest with caution.
schedule:
  start: 2026-01-05T10:00:00
  end: 2026-01-19T18:00:00
"""
#: (method, path, JSON body, action, roles allowed); ``{own}``, ``{spare0}``… are filled in.
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, str, set[str]]] = [
    ("GET", "/api/tags", None, "tags.view", set(ROLES)),
    ("GET", "/api/tags/gender", None, "tags.view", set(ROLES)),
    ("GET", "/api/customers?q=C00000001", None, "customers.search",
     {"analyst", "marketer", "relationship_manager", "compliance"}),
    ("GET", "/api/customers/{own}", None, "customers.view",
     {"analyst", "marketer", "relationship_manager", "compliance"}),
    # the same profile without recommendations: answered by the lean path (api/fastpath.py)
    ("GET", "/api/customers/{own}?recommendations=false", None, "customers.view",
     {"analyst", "marketer", "relationship_manager", "compliance"}),
    ("GET", "/api/customers/{own}/export", None, "customers.export", {"compliance"}),
    ("PATCH", "/api/customers/{spare0}", {"field": "occupation", "value": "teacher"},
     "customers.correct", {"compliance"}),
    ("DELETE", "/api/customers/{spare1}", None, "customers.erase", {"compliance"}),
    ("GET", "/api/audit", None, "audit.view", {"compliance"}),
    ("GET", "/api/audit/verify", None, "audit.view", {"compliance"}),
    ("GET", "/api/users", None, "users.manage", {"admin"}),
    ("POST", "/api/users", {"username": "new_{role}", "role": "analyst", "password": "abcdefgh1"},
     "users.manage", {"admin"}),
    ("POST", "/api/audiences/count", {"expression": "gender = 'F'"}, "audiences.count",
     {"analyst", "marketer"}),
    ("POST", "/api/audiences", {"name": "women_{role}", "expression": "gender = 'F'"},
     "audiences.save", {"analyst", "marketer"}),
    ("GET", "/api/audiences", None, "audiences.count", {"analyst", "marketer"}),
    ("POST", "/api/audiences/export", {"expression": "gender = 'F'", "tags": ["age_band"]},
     "audiences.export", {"marketer"}),
    ("GET", "/api/segments", None, "segments.view", {"analyst", "marketer"}),
    ("GET", "/api/models", None, "models.view", {"admin", "analyst", "compliance"}),
    ("GET", "/api/models/no_such_model/evaluation", None, "models.view",
     {"admin", "analyst", "compliance"}),
    ("GET", "/api/models/no_such_model/fairness", None, "models.view",
     {"admin", "analyst", "compliance"}),
    ("GET", "/api/campaigns", None, "campaigns.view", {"analyst", "marketer", "compliance"}),
    ("POST", "/api/campaigns/plan", {"spec": PLAN_SPEC}, "campaigns.plan", {"marketer"}),
    ("POST", "/api/campaigns/no_such_campaign/launch", None, "campaigns.launch", {"marketer"}),
]
#: What an allowed call may answer besides 200/201: the resource does not exist in this
#: small workspace (no segments fitted, no models trained, no such campaign) — but never 403.
NOT_THERE = {"/api/segments": 404, "/api/campaigns/no_such_campaign/launch": 404,
             "/api/models/no_such_model/evaluation": 404, "/api/models/no_such_model/fairness": 404}


def test_role_endpoint_matrix(live: Live) -> None:
    """Each role gets exactly what its permissions say; every refusal is a 403, audited."""
    ids = {"own": live.bank.own, "spare0": live.bank.spare[0], "spare1": live.bank.spare[1]}
    refused: set[tuple[str, str]] = set()
    for method, path, body, action, allowed in ENDPOINTS:
        # refused roles first, so the one erase that is allowed runs last
        for role in sorted(ROLES, key=lambda r: r in allowed):
            url = path.format(**ids)
            payload = None if body is None else {
                k: v.format(role=role) if isinstance(v, str) else v for k, v in body.items()}
            with live.client(role) as c:
                r = c.request(method, url, json=payload)
            if role in allowed:
                ok = {200, 201, NOT_THERE.get(url, 200)}
                assert r.status_code in ok, (role, method, url, r.text)
            else:
                assert r.status_code == 403, (role, method, url, r.text)
                assert r.json()["kind"] == "AccessDeniedError"
                refused.add((role, action))
    assert refused == {(role, action) for _, _, _, action, allowed in ENDPOINTS
                       for role in ROLES if role not in allowed}
    logged = {(e["actor"], e["action"]) for e in live.audit(outcome="denied")}
    assert refused <= logged, refused - logged


def test_erased_customer_is_gone(live: Live) -> None:
    gone = live.bank.spare[2]
    with live.client("compliance") as c:
        before = c.get(f"/api/customers/{gone}/export").json()
        assert before["customer"]["customer_id"] == gone and before["tables"]["transactions"]
        r = c.delete(f"/api/customers/{gone}")
        assert r.status_code == 200 and r.json()["left"] == {}
        assert c.get(f"/api/customers/{gone}").status_code == 404
        assert c.get(f"/api/customers/{gone}/export").status_code == 404


def test_correction_shows_in_the_profile(live: Live) -> None:
    who = live.bank.spare[3]
    with live.client("compliance") as c:
        r = c.patch(f"/api/customers/{who}", json={"field": "city", "value": "拉萨市"})
        assert r.status_code == 200 and r.json()["after"] == "拉萨市"
        assert c.get(f"/api/customers/{who}").json()["attributes"]["city"] == "拉萨市"
        bad = c.patch(f"/api/customers/{who}", json={"field": "password", "value": "x"})
        assert bad.status_code == 400 and bad.json()["kind"] == "UsageError"


def test_pagination(live: Live) -> None:
    with live.client("analyst") as c:
        first = c.get("/api/tags", params={"limit": 10, "offset": 0}).json()
        second = c.get("/api/tags", params={"limit": 10, "offset": 10}).json()
        everything = c.get("/api/tags", params={"limit": 500}).json()
        assert first["total"] == second["total"] == everything["total"] == len(everything["items"])
        assert [t["name"] for t in first["items"] + second["items"]] == \
            [t["name"] for t in everything["items"][:20]]
        assert c.get("/api/tags", params={"limit": 0}).status_code == 422
        page = c.get("/api/customers", params={"q": "C000000000", "limit": 7, "offset": 3}).json()
        assert page["total"] == 10 and len(page["items"]) == 7
        assert page["items"][0]["customer_id"] == "C0000000003"


def test_unknown_customer_is_404_json(live: Live) -> None:
    with live.client("analyst") as c:
        r = c.get("/api/customers/NO_SUCH")
    assert r.status_code == 404 and r.json()["kind"] == "NotFoundError"


def test_api_key_and_disabling(live: Live) -> None:
    with live.client("admin") as c:
        key = c.post("/api/users/marketer/apikeys").json()["api_key"]
        r = httpx.get(f"{live.url}/api/auth/me", headers={"X-API-Key": key})
        assert r.status_code == 200 and r.json()["via"] == "api_key"
        assert c.post("/api/users/gone/disable").status_code == 200
    with live.client("gone") as c:
        r = c.get("/api/auth/me")
        lean = c.get(f"/api/customers/{live.bank.own}", params={"recommendations": "false"})
    assert r.status_code == 401 and "disabled" in r.json()["error"]
    assert lean.status_code == 401 and "disabled" in lean.json()["error"]


def test_audit_chain_holds_after_all_that(live: Live) -> None:
    with live.client("compliance") as c:
        result = c.get("/api/audit/verify").json()
    assert result["ok"] and result["entries"] > 10


def test_api_role_names_match_the_privacy_roles() -> None:
    from typing import get_args

    from portrait.api.routers.users import RoleName

    assert set(get_args(RoleName)) == {r.value for r in Role} == set(ROLES)
