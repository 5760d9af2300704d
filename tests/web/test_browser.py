"""A real browser through the pages: login → search → persona → audience count → campaign
dashboard → audit log, in Chinese and in English, with screenshots.

Drives Debian's Chromium headless with Playwright (no browser download). Screenshots go to
the test's output folder and to ``reports/screenshots/`` of the test workspace.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import PASSWORD, Site

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium "
                                                     "(apt-get install chromium fonts-noto-cjk)"),
]


@pytest.fixture(scope="module")
def browser() -> Any:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


TEXT = {
    "zh": {"login": "登录", "search": "客户查询", "persona": "客户360视图", "family": "基础属性",
           "audience": "客群圈选", "meta": "位客户", "error": "第 1 行", "funnel": "转化漏斗",
           "audit": "审计日志", "verified": "哈希链完整"},
    "en": {"login": "Sign in", "search": "Customer search", "persona": "Customer 360", "family": "Basic",
           "audience": "Audience builder", "meta": "customers in the snapshot", "error": "At line 1",
           "funnel": "Funnel", "audit": "Audit log", "verified": "The chain holds"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_journey(site: Site, browser: Any, lang: str, tmp_path: Path) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    text = TEXT[lang]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US")
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(site.url) else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Console errors too (a CSP violation shows there), except the builder's expected 400.
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and "status of 400" not in m.text else None)
    shots: list[Path] = []

    def shot(name: str) -> None:
        path = tmp_path / f"{lang}-{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    try:
        # Login with the keyboard only: tab between the labelled fields, Enter submits.
        page.goto(f"{site.url}/customers?lang={lang}")
        assert page.url.startswith(f"{site.url}/login")
        assert page.locator("h1").inner_text() == text["login"]
        page.get_by_label("用户名" if lang == "zh" else "User name").focus()
        page.keyboard.type("relationship_manager")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        shot("login")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{site.url}/customers*")
        assert page.locator("h1").inner_text() == text["search"]

        # Search by customer id and open the persona page.
        page.fill("#q", site.bank.own)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"a[href='/customers/{site.bank.own}']")
        shot("search")
        page.click(f"a[href='/customers/{site.bank.own}']")
        page.wait_for_selector("#persona-card")
        assert text["persona"] in page.locator("h1").inner_text()
        assert text["family"] in page.locator("#tags-title + h3, section h3").all_inner_texts()
        avatar = page.locator("#persona-card img")
        assert avatar.evaluate("img => img.complete && img.naturalWidth > 0")
        shot("persona")

        # The RM may not build audiences; an analyst may: sign out, sign in again.
        page.click("header form button")
        page.wait_for_url(f"{site.url}/login*")
        page.fill("#username", "marketer")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(f"{site.url}/customers*")

        # Audience builder: the count follows the typing (debounced fetch).
        page.goto(f"{site.url}/audiences")
        assert page.locator("h1").inner_text() == text["audience"]
        page.fill("#expr", "gender = 'F' and holds('deposit')")
        expect(page.locator("#count")).to_have_text(re.compile(r"^[\d,]+$"), timeout=30_000)
        expect(page.locator("#count-meta")).to_contain_text(text["meta"], timeout=30_000)
        counted = page.locator("#count").inner_text()
        assert counted.replace(",", "").isdigit() and int(counted.replace(",", "")) > 0
        shot("audience-count")
        page.fill("#expr", "gender = ")
        page.wait_for_selector("#expr-error .alert")
        assert text["error"] in page.locator("#expr-error").inner_text()
        assert page.get_attribute("#expr", "aria-invalid") == "true"
        shot("audience-error")

        # Campaign dashboard: the charts are drawn from the local Chart.js.
        page.goto(f"{site.url}/campaigns/{site.campaign_id}")
        page.wait_for_selector("#funnel-chart")
        assert text["funnel"] in page.locator("#funnel-title").inner_text()
        assert page.evaluate("typeof Chart") == "function"
        drawn = page.evaluate("['funnel-chart','rates-chart','lift-chart']"
                              ".map(id => !!Chart.getChart(document.getElementById(id)))")
        assert drawn == [True, True, True]
        shot("campaign")

        # Compliance: the audit log, newest first, and the chain verified from the button.
        page.click("header form button")
        page.wait_for_url(f"{site.url}/login*")
        page.fill("#username", "compliance")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(f"{site.url}/customers*")
        page.click("nav a[href='/audit']")
        page.wait_for_selector("#audit-table")
        assert page.locator("h1").inner_text() == text["audit"]
        page.focus("#verify-button")
        page.keyboard.press("Enter")
        page.wait_for_selector("#verify-ok")
        assert text["verified"] in page.locator("#verify-ok").inner_text()
        shot("audit")
    finally:
        context.close()

    assert not errors, errors
    assert not outside, f"requests left the server: {outside}"
    keep = site.bank.root / "reports" / "screenshots"
    keep.mkdir(parents=True, exist_ok=True)
    for path in shots:
        assert path.stat().st_size > 5_000
        shutil.copy(path, keep / path.name)


def test_campaign_html_report_renders_offline(site: Site, browser: Any, tmp_path: Path) -> None:
    """The evaluation's HTML report (written by ``portrait campaign evaluate``) opens from
    disk with no network: charts are inline SVG, nothing is fetched."""
    report = site.bank.root / "reports" / f"campaign-{site.campaign_id}.html"
    assert report.exists()
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if not r.url.startswith("file://") else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(report.as_uri())
        assert site.campaign_id in page.content()
        charts = page.locator("svg")
        assert charts.count() >= 1
        box = charts.first.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
        page.screenshot(path=str(tmp_path / "campaign-report.png"), full_page=True)
    finally:
        context.close()
    assert fetched == [] and errors == []
