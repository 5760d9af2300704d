"""The audit log page: compliance only (others get the 403 page, audited), newest first,
filters, pages, and verifying the hash chain — a tampered log shows its first broken entry."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from tests.web.conftest import PASSWORD, ROLES, Bank, Local, in_process

SEQ = re.compile(r'data-seq="(\d+)"')


def _seqs(html: str) -> list[int]:
    return [int(s) for s in SEQ.findall(html)]


@pytest.mark.parametrize(("lang", "title", "verify"), [("zh", "审计日志", "校验哈希链"),
                                                      ("en", "Audit log", "Verify the chain")])
def test_compliance_browses_the_log_newest_first(local: Local, lang: str, title: str,
                                                  verify: str) -> None:
    c = local.login("compliance")
    r = c.get("/audit", params={"lang": lang})
    assert r.status_code == 200
    assert f"<h1>{title}</h1>" in r.text and verify in r.text
    assert '<a href="/audit" aria-current="page">' in r.text
    seqs = _seqs(r.text)
    assert seqs and seqs == sorted(seqs, reverse=True)
    # the operator's user creations are there, the action shown by name and by code
    assert ("添加用户" if lang == "zh" else "Add a user") in r.text and "users.add" in r.text


def test_the_menu_shows_the_log_only_to_roles_that_may_see_it(local: Local) -> None:
    for role in ROLES:
        page = local.login(role).get("/tags", params={"lang": "en"})
        assert page.status_code == 200
        assert ('href="/audit"' in page.text) == (role == "compliance"), role


def test_other_roles_get_the_403_page_and_the_refusal_is_audited(local: Local) -> None:
    for role in ROLES:
        if role == "compliance":
            continue
        r = local.login(role).get("/audit", params={"lang": "en"})
        assert r.status_code == 403, role
        assert "Not permitted" in r.text and "recorded in the audit log" in r.text
        assert f"Role &#39;{role}&#39; may not audit.view on audit_log." in r.text
    found = local.client.get("/api/audit", headers=local.token("compliance"),
                             params={"action": "audit.view", "outcome": "denied", "limit": 100})
    refused = {e["actor"] for e in found.json()["items"] if e["details"].get("via") == "web"}
    assert refused >= set(ROLES) - {"compliance"}


def test_filters_and_pages(local: Local) -> None:
    c = local.login("auditee")
    for _ in range(55):
        assert c.get("/audit").status_code == 403
    c = local.login("compliance")
    mine = {"actor": "auditee", "action": "audit.view", "outcome": "denied", "lang": "en"}
    first = c.get("/audit", params=mine)
    assert first.status_code == 200
    assert "55 entries, newest first" in first.text and "Page 1 of 2" in first.text
    assert len(_seqs(first.text)) == 50 and 'rel="next"' in first.text and 'rel="prev"' not in first.text
    assert first.text.count(">auditee</td>") == 50
    assert '<option value="audit.view" selected>' in first.text
    second = c.get("/audit", params={**mine, "page": "2"})
    assert "Page 2 of 2" in second.text and 'rel="prev"' in second.text
    assert len(_seqs(second.text)) == 5 and max(_seqs(second.text)) < min(_seqs(first.text))
    # the next link keeps the filters
    link = re.search(r'<a href="([^"]+)" rel="next"', first.text)
    assert link is not None and "actor=auditee" in link.group(1) and "page=2" in link.group(1)
    today = dt.datetime.now(dt.UTC).date()
    same_day = c.get("/audit", params={**mine, "since": today.isoformat(),
                                       "until": today.isoformat()})
    assert "55 entries" in same_day.text
    later = c.get("/audit", params={**mine, "since": (today + dt.timedelta(days=1)).isoformat()})
    assert "0 entries" in later.text and "No entry matches." in later.text
    allowed = c.get("/audit", params={**mine, "outcome": "allowed"})
    assert "0 entries" in allowed.text
    bad = c.get("/audit", params={**mine, "since": "31/12/2024"})
    assert bad.status_code == 200 and "“31/12/2024” is not a date" in bad.text
    reversed_range = c.get("/audit", params={**mine, "since": today.isoformat(),
                                             "until": (today - dt.timedelta(days=3)).isoformat()})
    assert reversed_range.status_code == 400 and "Swap the two dates." in reversed_range.text


def test_verifying_an_intact_chain(local: Local) -> None:
    c = local.login("compliance")
    r = c.get("/audit", params={"verify": "1", "lang": "zh"})
    assert r.status_code == 200 and 'id="verify-ok"' in r.text
    assert re.search(r"哈希链完整：[\d,]+ 条记录全部通过校验。", r.text)


@pytest.mark.parametrize(("tamper", "lang", "expected", "shown"), [
    ("UPDATE audit_log SET target = 'user:mallory' WHERE seq = 2", "en",
     ["The chain is broken at entry 2.", "Entry 2 was modified."], "user:mallory"),
    ("UPDATE audit_log SET target = 'user:mallory' WHERE seq = 2", "zh",
     ["哈希链已断开：第 2 条记录未通过校验。", "第 2 条记录被修改过。"], "user:mallory"),
    ("DELETE FROM audit_log WHERE seq = 3", "zh",
     ["第 3 条记录缺失（其后是第 4 条）。", "该记录已不存在（已被删除）。"], None),
])
def test_verifying_a_tampered_chain_shows_the_first_broken_entry(
        bank: Bank, tmp_path: Path, tamper: str, lang: str, expected: list[str],
        shown: str | None) -> None:
    assert bank.copy is not None
    root = tmp_path / "ws"
    shutil.copytree(bank.copy, root)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    try:
        assert con.execute("SELECT count(*) FROM audit_log").fetchone()[0] >= 4
        con.execute(tamper)
    finally:
        con.close()
    with in_process(root) as client:
        r = client.post("/login", data={"username": "compliance", "password": PASSWORD,
                                        "next": "/"})
        assert r.status_code == 303
        page = client.get("/audit", params={"verify": "1", "lang": lang})
    assert page.status_code == 200 and 'id="verify-bad"' in page.text
    for text in expected:
        assert text in page.text, text
    if shown is not None:
        table = page.text.split('id="bad-entry"')[1].split("</table>")[0]
        assert shown in table
    else:
        assert 'id="bad-entry"' not in page.text
