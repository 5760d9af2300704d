"""Checking expressions against a snapshot's tags: names, types, domains, levels."""

from __future__ import annotations

import pytest

from portrait.audience.expr import ExpressionError
from portrait.audience.validate import Catalog, TagInfo, compile_query, tag_info
from portrait.tags.loader import load_catalog

LEVELS = ("low", "mid", "high", "private_banking")
CATALOG = Catalog(
    tags={"gender": TagInfo("gender", "categorical", values=("M", "F")),
          "city": TagInfo("city", "categorical"),
          "liquid_assets_band": TagInfo("liquid_assets_band", "ordinal", levels=LEVELS),
          "days_since_last_activity": TagInfo("days_since_last_activity", "numeric"),
          "holds_loan": TagInfo("holds_loan", "boolean"),
          "product_categories_held": TagInfo("product_categories_held", "set",
                                             values=("deposit", "insurance", "loan"))},
    observed=lambda name: frozenset({"Praha", "Brno"}) if name == "city" else None,
    absent={"churn_probability": "not built in the snapshot as of 1994-03-30"})


def error(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        compile_query(text, CATALOG)
    return info.value


def test_a_valid_expression_lists_the_tags_it_uses() -> None:
    query = compile_query("gender = 'F' and liquid_assets_band >= 'high' and not holds('insurance') "
                          "and days_since_last_activity <= 30 and city in ('Praha') and holds_loan",
                          CATALOG)
    assert set(query.tags) == {"gender", "liquid_assets_band", "product_categories_held",
                               "days_since_last_activity", "city", "holds_loan"}


def test_unknown_tag_suggests_the_nearest_names() -> None:
    err = error("gender = 'F' and days_since_last_activty <= 30")
    assert "Unknown tag 'days_since_last_activty'" in err.message
    assert (err.line, err.column) == (1, 18)
    assert err.hint == "Did you mean days_since_last_activity?"
    assert "^" * len("days_since_last_activty") in err.message


def test_unknown_tag_without_close_names_points_to_the_list() -> None:
    assert "portrait tags list" in (error("zzz is null").hint or "")


def test_a_tag_missing_from_the_snapshot_says_so() -> None:
    err = error("churn_probability > 0.5")
    assert "not in this snapshot (not built in the snapshot as of 1994-03-30)" in err.message


def test_value_outside_a_declared_domain() -> None:
    err = error("gender = 'X'")
    assert "'X' is not a value of 'gender'" in err.message
    assert (err.line, err.column) == (1, 10)
    assert "Known values: F, M." in (err.hint or "")


def test_value_outside_the_observed_domain_suggests_a_close_one() -> None:
    err = error("city in ('Praha', 'Brnoo')")
    assert (err.line, err.column) == (1, 19)
    assert err.hint and err.hint.startswith("Did you mean 'Brno'?")


def test_set_element_outside_its_domain() -> None:
    err = error("holds('insurence')")
    assert "'insurence' is not an element of 'product_categories_held'" in err.message
    assert (err.hint or "").startswith("Did you mean 'insurance'?")


def test_unknown_domain_is_not_checked() -> None:
    catalog = Catalog(tags={"city": TagInfo("city", "categorical")})
    assert compile_query("city = 'anything'", catalog).tags["city"].type == "categorical"


def test_value_not_a_level_of_an_ordinal() -> None:
    err = error("liquid_assets_band >= 'hihg'")
    assert "'hihg' is not a level of 'liquid_assets_band'" in err.message
    assert (err.line, err.column) == (1, 23)
    assert err.hint == ("Did you mean 'high'? Levels, lowest first: low < mid < high < "
                        "private_banking.")


@pytest.mark.parametrize(("text", "message", "column"), [
    ("days_since_last_activity <= '30'", "is numeric: compare it with a number, not '30'", 29),
    ("gender = 1", "is categorical: its values are text in quotes, not 1", 10),
    ("holds_loan = 1", "is boolean: compare it with true or false, not 1", 14),
    ("liquid_assets_band = true", "is ordinal: its values are text in quotes, not true", 22),
    ("product_categories_held contains 3", "write the element in quotes, not 3", 34),
])
def test_type_mismatches(text: str, message: str, column: int) -> None:
    err = error(text)
    assert message in err.message
    assert err.column == column


@pytest.mark.parametrize(("text", "message"), [
    ("gender > 'F'", "Tag 'gender' is categorical: it has no order, so '>' does not apply."),
    ("holds_loan <= true", "Tag 'holds_loan' is boolean: it has no order"),
    ("city between 'A' and 'B'", "'between' needs an ordinal or numeric tag"),
    ("gender contains 'F'", "Tag 'gender' is categorical: 'contains' needs a set tag."),
    ("product_categories_held = 'loan'", "Tag 'product_categories_held' is a set: test its elements"),
    ("product_categories_held in ('loan')", "is a set: test its elements with 'contains'"),
    ("days_since_last_activity", "a tag named alone is a test of a boolean tag"),
    ("liquid_assets_band between 'high' and 'low'", "The range of 'liquid_assets_band' is empty"),
    ("days_since_last_activity between 30 and 7", "30 comes after 7"),
])
def test_operators_must_suit_the_type(text: str, message: str) -> None:
    assert message in error(text).message


def test_set_equality_is_refused_with_a_hint_to_contains() -> None:
    err = error("product_categories_held = 'loan'")
    assert "contains" in (err.hint or "")


def test_tag_info_from_the_shipped_catalog() -> None:
    specs = {t.spec.name: t.spec for t in load_catalog()}
    assert tag_info(specs["aum_band"]).levels == ("aum_lt_10k", "aum_10k_50k", "aum_50k_200k",
                                                  "aum_200k_1m", "aum_1m_6m", "aum_6m_plus")
    assert tag_info(specs["gender"]).values == ("M", "F")
    assert tag_info(specs["age"]).type == "numeric"
