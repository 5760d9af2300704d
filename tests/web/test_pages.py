"""Every web page over HTTP on the live server: status, key content in both languages,
roles, the session cookie, and no reference to anything off this server."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import httpx
import pytest
from tests.web.conftest import PASSWORD, Site

LANGS = ("zh", "en")


def _get(client: httpx.Client, path: str, lang: str) -> httpx.Response:
    sep = "&" if "?" in path else "?"
    return client.get(f"{path}{sep}lang={lang}")


def test_pages_need_a_login(site: Site) -> None:
    for path in ("/customers", f"/customers/{site.bank.own}", "/tags", "/audiences", "/segments",
                 "/campaigns", f"/campaigns/{site.campaign_id}", "/audit"):
        r = httpx.get(site.url + path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=")
    assert httpx.get(site.url + "/", follow_redirects=False).headers["location"] == "/login"


@pytest.mark.parametrize(("lang", "title", "button"),
                         [("zh", "登录", "用户名"), ("en", "Sign in", "User name")])
def test_login_page_in_both_languages(site: Site, lang: str, title: str, button: str) -> None:
    r = httpx.get(f"{site.url}/login?lang={lang}")
    assert r.status_code == 200
    assert f"<h1>{title}</h1>" in r.text and button in r.text
    assert 'for="username"' in r.text and 'for="password"' in r.text
    assert r.cookies.get("lang") == lang
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_login_sets_a_strict_httponly_cookie_and_logout_clears_it(site: Site) -> None:
    with httpx.Client(base_url=site.url, follow_redirects=False) as c:
        bad = c.post("/login", data={"username": "analyst", "password": "wrong-one", "next": "/"},
                     headers={"Accept-Language": "en"})
        assert bad.status_code == 401 and "Wrong user name or password" in bad.text
        ok = c.post("/login", data={"username": "analyst", "password": PASSWORD,
                                    "next": "/tags"})
        assert ok.status_code == 303 and ok.headers["location"] == "/tags"
        cookie = ok.headers["set-cookie"].lower()
        assert "portrait_session=" in cookie and "httponly" in cookie
        assert "samesite=strict" in cookie and "path=/" in cookie
        assert c.get("/tags").status_code == 200
        out = c.post("/logout")
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert c.get("/tags").status_code == 303


def test_login_never_redirects_off_site(site: Site) -> None:
    with httpx.Client(base_url=site.url, follow_redirects=False) as c:
        r = c.post("/login", data={"username": "analyst", "password": PASSWORD,
                                   "next": "//evil.example/x"})
    assert r.headers["location"] == "/"


@pytest.mark.parametrize("lang", LANGS)
def test_search_masks_names_by_role(site: Site, lang: str) -> None:
    prefix = site.bank.own[:-1]
    with site.login("marketer", lang) as c:
        r = _get(c, f"/customers?q={prefix}", lang)
    assert r.status_code == 200
    assert ("客户查询" if lang == "zh" else "Customer search") in r.text
    assert f"/customers/{site.bank.own}" in r.text
    names = re.findall(r"<td>([^<]*\*[^<]*) </td>", r.text)
    assert names, "the marketer sees masked names"
    with site.login("compliance", lang) as c:
        clear = _get(c, f"/customers?q={site.bank.own}", lang)
    assert ("明文显示" if lang == "zh" else "Shown in clear") in clear.text


@pytest.mark.parametrize(("lang", "strings"), [
    ("zh", ["客户360视图", "基础属性", "经济状况", "生命周期阶段", "产品货架", "已持有", "近期动态",
            "持有产品", "授权状态", "价值层级"]),
    ("en", ["Customer 360", "Basic", "Economic", "Lifecycle stage", "Product shelf", "Held",
            "Recent activity", "Holdings", "Consent", "Value tier"]),
])
def test_persona_page(site: Site, lang: str, strings: list[str]) -> None:
    with site.login("relationship_manager", lang) as c:
        own = _get(c, f"/customers/{site.bank.own}", lang)
        other = _get(c, f"/customers/{site.bank.other}", lang)
    assert own.status_code == 200 and other.status_code == 200
    for text in strings:
        assert text in own.text, text
    assert re.search(r'<img src="/static/avatars/[fmn]-(young|middle|senior)\.svg"', own.text)
    clear, masked = ("明文显示", "已脱敏") if lang == "zh" else ("Shown in clear", "Masked")
    assert clear in own.text and masked not in own.text
    assert masked in other.text
    name = re.search(r'id="persona-name">([^<]*)<', other.text)
    assert name is not None and "*" in name.group(1)


def test_persona_refused_for_admin_is_a_clear_page_and_audited(site: Site) -> None:
    with site.login("admin", "en") as c:
        r = c.get(f"/customers/{site.bank.own}")
    assert r.status_code == 403
    assert "Not permitted" in r.text and "recorded in the audit log" in r.text
    with site.login("compliance", "en") as c:
        page = c.get("/customers")  # a page view, so the session is known to work
        assert page.status_code == 200
    token = httpx.post(f"{site.url}/api/auth/token",
                       data={"username": "compliance", "password": PASSWORD}).json()["access_token"]
    entries = httpx.get(f"{site.url}/api/audit", params={"actor": "admin", "outcome": "denied",
                                                         "limit": 100},
                        headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert any(e["target"] == f"customer:{site.bank.own}" and e["details"].get("via") == "web"
               for e in entries)


def test_unknown_customer_is_404_page(site: Site) -> None:
    with site.login("analyst", "zh") as c:
        r = c.get("/customers/NO-SUCH-ID?lang=zh")
    assert r.status_code == 404 and "未找到" in r.text


@pytest.mark.parametrize("lang", LANGS)
def test_tag_catalog_with_coverage(site: Site, lang: str) -> None:
    with site.login("marketer", lang) as c:
        r = _get(c, "/tags", lang)
        detail = _get(c, "/tags/lifecycle_stage", lang)
        hidden = _get(c, "/tags/has_defaulted_loan", lang)
    assert r.status_code == 200
    assert ("生命周期阶段" if lang == "zh" else "Lifecycle stage") in r.text
    assert re.search(r'<td class="num">\d+\.\d%</td>', r.text)
    assert detail.status_code == 200 and 'id="dist-data"' in detail.text
    assert ("成长期" if lang == "zh" else "Growing") in detail.text
    assert hidden.status_code == 200 and "dist-data" not in hidden.text
    assert ("您的权限不显示" if lang == "zh" else "not shown at your access level") in hidden.text


def test_audience_live_count_matches_the_service(site: Site) -> None:
    expr = "gender = 'F' and holds('deposit')"
    with site.login("marketer", "en") as c:
        page = c.get("/audiences")
        r = c.post("/ui/audiences/count", json={"expression": expr})
        bad = c.post("/ui/audiences/count", json={"expression": "gender = "})
        refused = c.post("/ui/audiences/count", json={"expression": "monthly_income > 1000"})
    assert page.status_code == 200 and 'data-count-url="/ui/audiences/count"' in page.text
    assert r.status_code == 200
    assert r.json()["count"] == site.counts[expr]
    assert bad.status_code == 400
    assert (bad.json()["line"], bad.json()["column"]) == (1, 10)
    assert "^" in bad.json()["excerpt"]
    assert refused.status_code == 403 and "confidential" in refused.json()["message"]
    assert httpx.post(f"{site.url}/ui/audiences/count", json={"expression": expr}).status_code == 401


def test_audience_page_without_javascript_and_saving(site: Site) -> None:
    with site.login("analyst", "zh") as c:
        counted = c.get("/audiences", params={"expr": "gender = 'M'", "lang": "zh"})
        saved = c.post("/audiences/save", data={"name": "web_men", "expr": "gender = 'M'"})
    n = site.counts["gender = 'M'"]
    assert counted.status_code == 200 and f'id="count">{n:,}<' in counted.text
    assert saved.status_code == 200 and "web_men" in saved.text
    with site.login("relationship_manager", "en") as c:
        assert c.get("/audiences").status_code == 403


@pytest.mark.parametrize(("lang", "title"), [("zh", "客群细分"), ("en", "Segment explorer")])
def test_segment_explorer(site: Site, lang: str, title: str) -> None:
    with site.login("analyst", lang) as c:
        r = _get(c, "/segments", lang)
    assert r.status_code == 200 and title in r.text
    assert r.text.count('data-chart="grouped"') == 3 and 'id="sizes-data"' in r.text
    assert "S1" in r.text and "/audiences?expr=" in r.text


@pytest.mark.parametrize(("lang", "strings"), [
    ("zh", ["转化漏斗", "实验组对比对照组", "95%置信区间", "投资回报率"]),
    ("en", ["Funnel", "Treatment against control", "95% interval", "Return on investment"]),
])
def test_campaign_dashboard(site: Site, lang: str, strings: list[str]) -> None:
    with site.login("marketer", lang) as c:
        listing = _get(c, "/campaigns", lang)
        r = _get(c, f"/campaigns/{site.campaign_id}", lang)
    assert listing.status_code == 200 and f"/campaigns/{site.campaign_id}" in listing.text
    assert r.status_code == 200
    for text in strings:
        assert text in r.text, text
    for chart in ("funnel-data", "rates-data", "lift-data"):
        assert f'id="{chart}"' in r.text
    with site.login("relationship_manager", lang) as c:
        assert _get(c, f"/campaigns/{site.campaign_id}", lang).status_code == 403


def test_static_assets(site: Site) -> None:
    css = httpx.get(f"{site.url}/static/css/portrait.css")
    js = httpx.get(f"{site.url}/static/vendor/chart.umd.min.js")
    svg = httpx.get(f"{site.url}/static/avatars/f-young.svg")
    assert css.headers["content-type"].startswith("text/css")
    assert js.status_code == 200 and "Chart.js v4" in js.text[:200]
    assert svg.headers["content-type"] == "image/svg+xml"
    for bad in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/nope.css"):
        assert httpx.get(site.url + bad).status_code == 404


_URL = re.compile(r"https?://[^\s\"'<>)]+")
_LICENSE = re.compile(r"/\*!.*?\*/", re.S)
_ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def _external(text: str) -> list[str]:
    text = _LICENSE.sub("", text)  # the vendored library's license header names its homepage
    text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # an SVG namespace, not fetched
    return [u for u in _URL.findall(text) if urlparse(u).hostname not in {"127.0.0.1", "localhost"}]


def test_nothing_is_loaded_from_elsewhere(site: Site) -> None:
    """No page, stylesheet, script or image served names a non-loopback http(s) URL."""
    pages = ["/login", "/customers", f"/customers?q={site.bank.own}", f"/customers/{site.bank.own}",
             "/tags", "/tags/aum", "/audiences", "/segments", "/campaigns",
             f"/campaigns/{site.campaign_id}", "/audit", "/audit?verify=1"]
    assets: set[str] = set()
    with site.login("compliance", "en") as comp, site.login("marketer", "en") as mark:
        for path in pages:
            for lang in LANGS:
                client = comp if path.startswith(("/customers", "/audit")) else mark
                r = _get(client, path, lang)
                assert r.status_code == 200, (path, r.status_code)
                assert not _external(r.text), (path, _external(r.text))
                for ref in _ASSET.findall(r.text):
                    assert not urlparse(ref).netloc, (path, ref)
                    if ref.startswith("/static/"):
                        assets.add(ref)
    assert {"/static/css/portrait.css", "/static/vendor/chart.umd.min.js", "/static/js/charts.js",
            "/static/js/audience.js"} <= assets
    for ref in sorted(assets):
        r = httpx.get(site.url + ref)
        assert r.status_code == 200, ref
        assert not _external(r.text), (ref, _external(r.text))
