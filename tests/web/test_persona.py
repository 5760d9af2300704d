"""The persona page's view of a profile (pure functions over the service's dictionary)."""

from __future__ import annotations

from typing import Any

import pytest

from portrait.web import persona


@pytest.mark.parametrize(("gender", "generation", "path"), [
    ("F", "post_90s", "f-young"), ("M", "post_80s", "m-middle"), ("M", "pre_50s", "m-senior"),
    ("F", None, "f-middle"), (None, "post_00s", "n-young"), ("X", "post_60s", "n-senior"),
])
def test_avatar(gender: Any, generation: Any, path: str) -> None:
    assert persona.avatar(gender, generation) == f"/static/avatars/{path}.svg"


def test_every_avatar_exists() -> None:
    from portrait.web.assets import resolve

    for who in "fmn":
        for age in ("young", "middle", "senior"):
            assert resolve(f"avatars/{who}-{age}.svg") is not None


PROFILE: dict[str, Any] = {
    "persona": {"gender": "F", "generation": "post_80s", "value_tier": "affluent", "name": "张*"},
    "attributes": {"gender": "F", "city": "北京市"},
    "access": {"pii": "masked", "own_customer": False},
    "tags": {"lifecycle": [{"name": "lifecycle_stage", "title": "Lifecycle stage", "value": "mature"}],
             "basic": [{"name": "gender", "title": "Gender", "value": "F"},
                       {"name": "age", "title": "Age", "value": 41}],
             "preference": [{"name": "migratable_products", "title": "M", "value": ["FD_GROWTH"]}]},
    "holdings": [{"product_name": "活期", "category": "deposit", "status": "active",
                  "start_at": "2020-01-01"},
                 {"product_name": "旧卡", "category": "debit_card", "status": "closed"}],
    "activity": {"events": [{"ts": "2025-01-02T10:00:00", "channel": "app", "type": "login"}],
                 "transactions": [{"ts": "2025-01-03T09:00:00", "channel": "pos", "kind": "card_purchase",
                                   "amount": -12.5},
                                  {"ts": "2024-12-30T09:00:00", "channel": "atm", "kind": "cash_out",
                                   "amount": -100}]},
    "consents": {"marketing_sms": {"granted": False}, "profiling": {"granted": True}},
    "recommendations": None,
}


def test_card() -> None:
    card = persona.card(PROFILE)
    assert card["avatar"] == "/static/avatars/f-middle.svg"
    assert (card["name"], card["value_tier"], card["city"]) == ("张*", "affluent", "北京市")
    assert card["risk_level"] is None and card["pii_form"] == "masked"


def test_families_in_order_with_titles_sorted() -> None:
    fams = persona.families(PROFILE)
    assert [f for f, _ in fams] == ["basic", "preference", "lifecycle"]
    assert [t["title"] for t in fams[0][1]] == ["Age", "Gender"]


def test_timeline_merges_events_and_transactions_newest_first() -> None:
    items = persona.timeline(PROFILE)
    assert [(i["kind"], i["what"]) for i in items] == [("txn", "card_purchase"), ("event", "login"),
                                                       ("txn", "cash_out")]
    assert persona.timeline(PROFILE, limit=1)[0]["amount"] == -12.5


def test_shelf_without_a_model_uses_holdings_and_the_migratable_tag() -> None:
    shelf = persona.shelf(PROFILE)
    assert shelf["source"] == "tags" and shelf["note"] == "shelf.no_model"
    assert [h["product"] for h in shelf["held"]] == ["活期"]
    assert [m["product"] for m in shelf["migratable"]] == ["FD_GROWTH"] and shelf["predicted"] == []


def test_shelf_from_recommendations() -> None:
    recs = {"held": [{"product_id": "DEP", "product_name": "活期"}],
            "migratable": [{"product_id": "FD", "reasons": ["same risk grade", {"text": "rates"}]}],
            "predicted": [{"product_id": "INS", "name": "保险A", "propensity": 0.42,
                           "reasons": [{"tag": "age", "text": "age 41 raises it", "value": 41}]}]}
    shelf = persona.shelf({**PROFILE, "recommendations": recs})
    assert shelf["source"] == "model"
    assert shelf["migratable"][0]["reason"] == "same risk grade; rates"
    assert (shelf["predicted"][0]["product"], shelf["predicted"][0]["score"]) == ("保险A", 0.42)
    assert shelf["predicted"][0]["reason"] == "age 41 raises it"
    assert shelf["held"][0]["reason"] is None


def test_consents_profiling_first() -> None:
    assert [c["purpose"] for c in persona.consents(PROFILE)] == ["profiling", "marketing_sms"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_persona_template_shows_the_model_shelf(lang: str) -> None:
    from portrait.web import i18n
    from portrait.web.render import ENV

    recs = {"held": [], "migratable": [],
            "predicted": [{"product_id": "INS", "name": "安心保", "category": "insurance",
                           "propensity": 0.123, "risk_grade": "R2",
                           "reasons": [{"tag": "age", "text": "age 41", "value": 41}]}]}
    profile = {**PROFILE, "customer_id": "C9", "pii": {"name": "张*"}, "recommendations": recs,
               "tag_summary": {"as_of": "2025-01-31", "hidden": 2},
               "access": {"pii": "masked", "amounts": False}}
    t = i18n.Translator(lang)
    html = ENV.get_template("persona.html").render(
        t=t, lang=lang, user=None, menu=[], switch={"zh": "?lang=zh", "en": "?lang=en"},
        profile=profile, card=persona.card(profile), families=persona.families(profile),
        timeline=persona.timeline(profile), shelf=persona.shelf(profile),
        consents=persona.consents(profile))
    assert "安心保" in html and "12.3%" in html and "age 41" in html
    assert t("shelf.score") in html and t("shelf.empty_held") in html
    assert t("persona.amounts_hidden") in html and t("code.insurance") in html
