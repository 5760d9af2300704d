"""Chinese pages show code values and service errors in Chinese (English ones the service's
own words), on the in-process app."""

from __future__ import annotations

import html
import json
import re

from tests.web.conftest import Local

from portrait.tags.loader import load_catalog
from portrait.web import i18n

CHIP = re.compile(r'<li class="chip" title="([^"]+)"><b>[^<]*</b>: ([^<]*)<')
PLAN = """\
id: zh_page_plan
name: Chinese page plan
objective: {product: WM_FIX_1Y, revenue_rate: 0.01}
audience: {expression: "holds('deposit')"}
channels:
  - {channel: app_push, cost: 0.02}
  - {channel: rm_task, cost: 1.0}
templates:
  zh: "{salutation}，稳享固收1年理财开售。理财非存款、产品有风险、投资须谨慎。"
  en: "{salutation}, on sale now. Wealth management products are not deposits; products carry
    risk; invest with caution."
schedule: {start: 2026-01-05T10:00:00, end: 2026-01-19T18:00:00}
"""


def _own_customer(local: Local) -> str:
    c = local.login("compliance")
    found = c.get("/api/customers", params={"q": "C0000000", "limit": 1},
                  headers=local.token("compliance")).json()
    return str(found["items"][0]["customer_id"])


def test_persona_chips_show_no_raw_codes_in_chinese(local: Local) -> None:
    who = _own_customer(local)
    page = local.login("compliance").get(f"/customers/{who}", params={"lang": "zh"})
    assert page.status_code == 200
    chips = {name: html.unescape(value).strip() for name, value in CHIP.findall(page.text)}
    declared = {t.spec.name: set(t.spec.values or []) | set(t.spec.levels or [])
                for t in load_catalog()}
    coded = {name: value for name, value in chips.items()
             if declared.get(name) and name != "segment"}
    assert len(coded) > 10, chips
    raw = {name: value for name, value in coded.items()
           if any(part.strip() in declared[name] for part in value.split("、"))}
    assert not raw, raw
    badges = re.findall(r'<span class="badge (?:tier|stage|risk)">([^<]*)</span>', page.text)
    assert badges and all(re.search(r"[\u4e00-\u9fff]", b) for b in badges), badges


def test_tag_page_levels_and_values_in_chinese(local: Local) -> None:
    page = local.login("analyst").get("/tags/city_tier", params={"lang": "zh"})
    assert page.status_code == 200
    assert "五线及以下城市 &lt; 四线城市 &lt; 三线城市 &lt; 二线城市 &lt; 一线城市" in page.text
    data = re.search(r'id="dist-data">([^<]*)</script>', page.text)
    assert data is not None
    labels = json.loads(data.group(1))["labels"]
    assert labels and all(label.endswith("城市") for label in labels)
    assert "tier_" not in page.text.split('id="dist-table"')[1].split("</table>")[0]


def test_error_pages_in_both_languages(local: Local) -> None:
    c = local.login("marketer")
    zh = c.get("/audit", params={"lang": "zh"})
    assert zh.status_code == 403
    assert "角色“营销人员”无权对 audit_log 执行“查看审计日志”。" in zh.text
    assert "请联系系统管理员" in zh.text and 'id="error-detail"' not in zh.text
    en = c.get("/audit", params={"lang": "en"})
    assert "Role &#39;marketer&#39; may not audit.view on audit_log." in en.text
    missing = c.get("/customers/NO-SUCH", params={"lang": "zh"})
    assert missing.status_code == 404 and "未找到客户 NO-SUCH。" in missing.text


def test_audience_builder_errors_in_chinese(local: Local) -> None:
    c = local.login("marketer")
    zh = {"Accept-Language": "zh-CN"}
    refused = c.post("/ui/audiences/count", json={"expression": "monthly_income > 1000"},
                     headers=zh).json()
    assert refused["message"] == ("标签 monthly_income 的敏感级别为“机密”，角色“营销人员”不能按它圈选"
                                  "客户（第 1 行，第 1 列）。")
    assert refused["detail"] is None and refused["hint"].startswith("请使用您权限范围内的标签")
    odd = c.post("/ui/audiences/count", json={"expression": "age = 'x'"}, headers=zh).json()
    assert odd["message"] == "客群表达式有误。" and odd["detail"].startswith("Tag 'age' is numeric")
    assert (odd["line"], odd["column"]) == (1, 7) and "^" in odd["excerpt"]
    cut = c.post("/ui/audiences/count", json={"expression": "gender = "}, headers=zh).json()
    assert cut["message"] == "表达式不完整。" and cut["hint"].startswith("此处应为：")
    en = c.post("/ui/audiences/count", json={"expression": "gender = "},
                headers={"Accept-Language": "en"}).json()
    assert en["message"].startswith("The expression ends too early.") and en["detail"] is None


def test_campaign_page_names_channels_and_exclusions_in_chinese(local: Local) -> None:
    planned = local.client.post("/api/campaigns/plan", json={"spec": PLAN},
                                headers=local.token("marketer"))
    assert planned.status_code == 200, planned.text
    funnel = planned.json()["funnel"]
    page = local.login("marketer").get("/campaigns/zh_page_plan", params={"lang": "zh"})
    assert page.status_code == 200
    table = page.text.split('id="channel-table"')[1].split("</table>")[0]
    assert "App推送" in table and "app_push" not in table
    zh = i18n.catalog("zh")
    for reason, n in funnel["excluded"].items():
        if n:
            assert zh[f"campaigns.excluded_{reason}"] in page.text
