"""Every compliance rule, in Chinese and in English."""

from __future__ import annotations

from pathlib import Path

import pytest

from portrait.campaign import compliance
from portrait.errors import DefinitionError

NOTICE_ZH = "理财非存款、产品有风险、投资须谨慎。"
NOTICE_EN = "Wealth management products are not deposits; products carry risk; invest with caution."
CLEAN = {"zh": "{salutation}，稳享固收1年理财开售，详询App。" + NOTICE_ZH,
         "en": "{salutation}, our 1-year fixed income product is on sale. " + NOTICE_EN}


def rules_hit(templates: dict[str, str], category: str = "wealth",
              sensitivity: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    return [(v.rule, v.language, v.offending)
            for v in compliance.check(templates, category=category, sensitivity=sensitivity)]


def test_clean_wealth_message_passes() -> None:
    assert rules_hit(CLEAN) == []


@pytest.mark.parametrize(("language", "text", "term"), [
    ("zh", "本产品保本保收益，" + NOTICE_ZH, "保本"),
    ("zh", "稳赚不赔的好机会！" + NOTICE_ZH, "稳赚"),
    ("zh", "无风险高收益。" + NOTICE_ZH, "无风险"),
    ("en", "A guaranteed return of 4%. " + NOTICE_EN, "guaranteed return"),
    ("en", "Totally RISK-FREE investing. " + NOTICE_EN, "RISK-FREE"),
])
def test_no_guaranteed_returns(language: str, text: str, term: str) -> None:
    templates = dict(CLEAN, **{language: text})
    hits = rules_hit(templates)
    assert ("no_guaranteed_returns", language, term) in hits
    violation = next(v for v in compliance.check(templates, category="fund")
                     if v.rule == "no_guaranteed_returns")
    assert term in violation.message and violation.title


def test_deposits_may_say_principal_is_safe() -> None:
    templates = {"zh": "{salutation}，大额存单保本保息。",
                 "en": "{salutation}, principal guaranteed deposit."}
    assert rules_hit(templates, category="time_deposit") == []


def test_english_terms_match_whole_words_only() -> None:
    templates = dict(CLEAN, en="Enjoy our noriskless... no. " + NOTICE_EN)
    assert rules_hit(templates) == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_risk_notice_required_for_wealth_and_fund(language: str) -> None:
    templates = dict(CLEAN, **{language: "{salutation}，新基金发行。"})
    for category in ("wealth", "fund"):
        hits = rules_hit(templates, category=category)
        assert [h[:2] for h in hits] == [("risk_notice", language)]
    assert rules_hit(templates, category="insurance") == []


def test_risk_notice_ignores_punctuation_variants() -> None:
    templates = dict(CLEAN, zh="新品发售。理财非存款，产品有风险，投资须谨慎")
    assert rules_hit(templates) == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_personal_data(language: str) -> None:
    base = CLEAN[language]
    assert rules_hit(dict(CLEAN, **{language: base + "{phone}"})) == [
        ("no_personal_data", language, "{phone}")]
    assert rules_hit(dict(CLEAN, **{language: base + "{aum}"}),
                     sensitivity={"aum": "confidential", "age_band": "internal"}) == [
        ("no_personal_data", language, "{aum}")]
    assert rules_hit(dict(CLEAN, **{language: base + "{age_band}"}),
                     sensitivity={"age_band": "internal"}) == []
    assert rules_hit(dict(CLEAN, **{language: base + " 13812345678"})) == [
        ("no_personal_data", language, "13812345678")]
    assert rules_hit(dict(CLEAN, **{language: base + " wang@example.com"})) == [
        ("no_personal_data", language, "wang@example.com")]
    assert rules_hit(dict(CLEAN, **{language: base + " 11010519491231002X"})) == [
        ("no_personal_data", language, "11010519491231002X")]
    assert rules_hit(dict(CLEAN, **{language: base + " 110105194912310021"})) == [
        ("no_personal_data", language, "110105194912310021")]
    # the bank's hotline is not personal data
    assert rules_hit(dict(CLEAN, **{language: base + " 95588"})) == []


def test_placeholders() -> None:
    assert compliance.placeholders("{salutation}，您的{value_tier}权益") == ["salutation", "value_tier"]


def test_bad_rule_file_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: x\n    title: {en: a}\n    forbid: [a]\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"rules\.yaml: field rules\.0\.forbid"):
        compliance.load_rules(path)
