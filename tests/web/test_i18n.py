"""The message catalogs and the choice of language."""

from __future__ import annotations

import re

import pytest

from portrait.web import i18n
from portrait.web.render import TEMPLATES

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_both_catalogs_hold_the_same_keys_and_placeholders() -> None:
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    assert set(zh) == set(en)
    for key in zh:
        assert set(PLACEHOLDER.findall(zh[key])) == set(PLACEHOLDER.findall(en[key])), key


def test_every_key_the_templates_name_exists() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_]+\.[a-z_0-9.]+)'", path.read_text(encoding="utf-8")))
    assert len(used) > 100
    known = i18n.catalog("en")
    # 't('campaigns.status_' ~ c.status)' names a family of keys: one must exist.
    missing = sorted(k for k in used if k not in known and not (
        k.endswith(("_", ".")) and any(name.startswith(k) for name in known)))
    assert not missing, missing


def test_every_key_the_modules_name_exists() -> None:
    used: set[str] = set()
    for path in TEMPLATES.parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\btr\("([a-z_]+\.[a-z_]+)"', text))
        used |= set(re.findall(r'"((?:shelf|error|login)\.[a-z_]+)(?<!\.html)"', text))
    assert used
    assert not sorted(k for k in used if k not in i18n.catalog("zh"))


@pytest.mark.parametrize(("query", "cookie", "accept", "lang"), [
    ("en", "zh", "zh-CN", "en"),
    (None, "en", "zh-CN,zh;q=0.9", "en"),
    ("fr", None, "en-US,en;q=0.8", "en"),
    (None, None, "de-DE, zh-TW;q=0.5", "zh"),
    (None, None, None, "zh"),
    (None, "xx", "fr", "zh"),
])
def test_pick_order(query: str | None, cookie: str | None, accept: str | None, lang: str) -> None:
    assert i18n.pick(query, cookie, accept) == lang


def test_translator_formats_values() -> None:
    zh, en = i18n.Translator("zh"), i18n.Translator("en")
    assert zh("campaigns.card_size", n="1") == "campaigns.card_size"  # a missing key shows itself
    assert en("customers.results", total=3) == "3 customers found"
    assert (zh.value(True), en.value(False), en.value(None)) == ("是", "No", "—")
    assert zh.value("post_90s") == "90后" and en.value("post_90s") == "Born in the 1990s"
    assert zh.value(["fund", "loan"]) == "基金、贷款" and en.value(["fund", "x"]) == "Fund, x"
    assert en.value(1234567) == "1,234,567" and en.value(0.5) == "0.50"
    assert zh.title({"en": "Age", "zh": "年龄"}) == "年龄" and i18n.Translator("de").lang == "zh"
