"""Code values and service errors as the pages show them, in both languages."""

from __future__ import annotations

import re

import pytest

from portrait.campaign.policy import REASONS
from portrait.campaign.spec import CHANNELS
from portrait.errors import AccessDeniedError, NotFoundError, UsageError
from portrait.privacy.roles import Action, Role
from portrait.schema import enums
from portrait.tags.loader import load_catalog
from portrait.web import error_text, i18n

LANGS = ("zh", "en")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: Tags whose values are not codes: segment ids are named by the segment service itself.
NAMED_ELSEWHERE = {"segment"}


def _declared() -> dict[str, list[str]]:
    out = {}
    for loaded in load_catalog():
        spec = loaded.spec
        values = list(spec.values or []) + list(spec.levels or [])
        if values and spec.name not in NAMED_ELSEWHERE:
            out[spec.name] = values
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_every_declared_tag_value_has_a_display(lang: str) -> None:
    messages = i18n.catalog(lang)
    declared = _declared()
    assert len(declared) > 30
    missing = sorted(f"{tag}={v}" for tag, values in declared.items() for v in values
                     if f"tagcode.{tag}.{v}" not in messages and f"code.{v}" not in messages)
    assert not missing, missing


@pytest.mark.parametrize("lang", LANGS)
def test_every_schema_code_has_a_display(lang: str) -> None:
    messages = i18n.catalog(lang)
    codes = {name: getattr(enums, name) for name in dir(enums) if name.isupper()
             and isinstance(getattr(enums, name), tuple | frozenset)}
    assert {"PRODUCT_CATEGORIES", "TRANSACTION_KINDS", "RISK_LEVELS", "RISK_GRADES"} <= set(codes)
    missing = sorted(f"{name}:{c}" for name, values in codes.items() for c in values
                     if isinstance(c, str) and f"code.{c}" not in messages)
    assert not missing, missing
    assert not [c for c in CHANNELS if f"code.{c}" not in messages]
    assert not [r for r in REASONS if f"campaigns.excluded_{r}" not in messages]
    assert not [a for a in Action if f"action.{a.value}" not in messages]
    assert not [r for r in Role if f"role.{r.value}" not in messages]


def test_codes_in_chinese_and_english() -> None:
    zh, en = i18n.Translator("zh"), i18n.Translator("en")
    assert (zh.value("tier_1"), en.value("tier_1")) == ("一线城市", "First-tier city")
    assert (zh.value("C3"), en.value("R5")) == ("C3 稳健型", "R5 high risk")
    assert zh.value("app_push") == "App推送" and zh.value("rm_task") == "客户经理任务"
    # the same code, told apart by its tag
    assert zh.value("none") == "无" and zh.value("none", "login_frequency") == "从不登录"
    assert zh.value("none", "income_stability") == "无收入"
    assert zh.value("low", "churn_band") == "低流失风险" and zh.value("low", "propensity_fund_band") == "低"
    assert zh.value("basic", "value_category") == "基础型"
    # a code nobody translated is shown as it is; an empty set as a dash
    assert zh.value("北京市", "city") == "北京市" and zh.value("FD_GROWTH") == "FD_GROWTH"
    assert zh.value([]) == "—" and zh.value(["tier_1", "X"], "city_tier") == "一线城市、X"
    assert zh.label("action", "customers.view") == "查看客户画像"
    assert en.label("outcome", "denied") == "Denied" and en.label("action", "new.thing") == "new.thing"


@pytest.mark.parametrize("lang", LANGS)
def test_every_error_form_renders_from_both_catalogs(lang: str) -> None:
    messages = i18n.catalog(lang)
    for pattern, key in error_text.MESSAGES + error_text.HINTS:
        assert key in messages, key
        assert set(PLACEHOLDER.findall(messages[key])) <= set(pattern.groupindex), key
    for name in error_text.EXPECTED.values():
        assert f"expected.{name}" in messages
    assert "errmsg.other" in messages


def test_errors_in_chinese() -> None:
    zh = i18n.Translator("zh")
    refused = AccessDeniedError("Role 'marketer' may not audit.view on audit_log.",
                                hint="Ask an administrator for a role that includes this permission.")
    shown = error_text.shown(zh, refused)
    assert shown.message == "角色“营销人员”无权对 audit_log 执行“查看审计日志”。"
    assert shown.detail is None and shown.hint == "请联系系统管理员，为您分配包含此权限的角色。"
    tag = error_text.shown(zh, AccessDeniedError(
        "Tag 'monthly_income' is confidential; role 'marketer' may not select customers by it "
        "(line 1, column 3)."))
    assert tag.message == ("标签 monthly_income 的敏感级别为“机密”，角色“营销人员”不能按它圈选客户"
                           "（第 1 行，第 3 列）。")
    missing = error_text.shown(zh, NotFoundError("Customer 'C9' not found.",
                                                 hint="Search with GET /api/customers?q=… or "
                                                      "check the id."))
    assert missing.message == "未找到客户 C9。" and missing.hint == "请通过客户查询核对客户号。"
    # a form nobody translated: its kind in Chinese, the service's words kept below
    odd = error_text.shown(zh, UsageError("Tag 'age' is numeric: compare it with a number, not 'x'.",
                                          hint="age >= 30"))
    assert odd.message == "请求无法执行。"
    assert odd.detail == "Tag 'age' is numeric: compare it with a number, not 'x'."
    assert odd.hint == "age >= 30"
    expected = error_text.hint(zh, "Expected a comparison (= != < <= > >=), a tag name, '('.")
    assert expected == "此处应为：比较运算符（= != < <= > >=）、标签名、'('。"


def test_errors_in_english_are_the_service_text() -> None:
    en = i18n.Translator("en")
    error = NotFoundError("No campaign 'x'.\n  more", hint="See the campaign list.")
    shown = error_text.shown(en, error)
    assert (shown.message, shown.detail, shown.hint) == ("No campaign 'x'.", "more",
                                                         "See the campaign list.")
    assert error_text.rendered(en, "entry 7 was modified") == "Entry 7 was modified."
