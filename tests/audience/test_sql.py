"""Expressions compiled to SQL for DuckDB and Spark."""

from __future__ import annotations

import pytest

from portrait.audience.sql import condition, count, select_ids
from portrait.audience.validate import Catalog, TagInfo, compile_query

LEVELS = ("low", "mid", "high", "private_banking")
CATALOG = Catalog({
    "gender": TagInfo("gender", "categorical"),
    "liquid_assets_band": TagInfo("liquid_assets_band", "ordinal", levels=LEVELS),
    "days_since_last_activity": TagInfo("days_since_last_activity", "numeric"),
    "holds_loan": TagInfo("holds_loan", "boolean"),
    "product_categories_held": TagInfo("product_categories_held", "set"),
})


def where(text: str, dialect: str = "duckdb") -> str:
    return condition(compile_query(text, CATALOG)).sql(dialect)


@pytest.mark.parametrize(("text", "duckdb", "spark"), [
    ("gender = 'F'", "\"gender\" = 'F'", "`gender` = 'F'"),
    ("gender = 'it''s'", "\"gender\" = 'it''s'", "`gender` = 'it\\'s'"),
    ("days_since_last_activity <= 30", "\"days_since_last_activity\" <= 30",
     "`days_since_last_activity` <= 30"),
    ("days_since_last_activity > 2.5", "\"days_since_last_activity\" > 2.5",
     "`days_since_last_activity` > 2.5"),
    ("holds('insurance')", "ARRAY_CONTAINS(\"product_categories_held\", 'insurance')",
     "ARRAY_CONTAINS(`product_categories_held`, 'insurance')"),
    ("holds_loan", "\"holds_loan\"", "`holds_loan`"),
    ("holds_loan = false", "\"holds_loan\" = FALSE", "`holds_loan` = FALSE"),
    ("gender is not null", "NOT \"gender\" IS NULL", "NOT `gender` IS NULL"),
])
def test_dialects(text: str, duckdb: str, spark: str) -> None:
    assert where(text, "duckdb") == duckdb
    assert where(text, "spark") == spark


@pytest.mark.parametrize(("text", "sql"), [
    ("liquid_assets_band >= 'high'", "\"liquid_assets_band\" IN ('high', 'private_banking')"),
    ("liquid_assets_band > 'low'", "\"liquid_assets_band\" IN ('mid', 'high', 'private_banking')"),
    ("liquid_assets_band < 'mid'", "\"liquid_assets_band\" IN ('low')"),
    ("liquid_assets_band <= 'mid'", "\"liquid_assets_band\" IN ('low', 'mid')"),
    ("liquid_assets_band = 'mid'", "\"liquid_assets_band\" = 'mid'"),
    ("liquid_assets_band between 'mid' and 'high'", "\"liquid_assets_band\" IN ('mid', 'high')"),
    # no level is above the top one: false, but still unknown (NULL) for a NULL tag
    ("liquid_assets_band > 'private_banking'",
     "CASE WHEN \"liquid_assets_band\" IS NULL THEN NULL ELSE FALSE END"),
])
def test_ordinal_comparisons_follow_the_level_order(text: str, sql: str) -> None:
    assert where(text) == sql


def test_precedence_is_kept_with_parentheses() -> None:
    text = "not (holds_loan or gender = 'F') and (days_since_last_activity < 7 or holds('fund'))"
    assert where(text) == ("NOT (\"holds_loan\" OR \"gender\" = 'F') AND (\"days_since_last_activity\" < 7 "
                           "OR ARRAY_CONTAINS(\"product_categories_held\", 'fund'))")
    assert where("holds_loan and gender = 'F' or not holds_loan") == (
        "(\"holds_loan\" AND \"gender\" = 'F') OR NOT \"holds_loan\"")


def test_select_and_count_statements() -> None:
    query = compile_query("gender not in ('F', 'M')", CATALOG)
    assert select_ids(query, "tags__20240630").sql("spark") == (
        "SELECT customer_id FROM tags__20240630 WHERE NOT `gender` IN ('F', 'M')")
    assert count(query, "tags__20240630").sql("duckdb") == (
        "SELECT COUNT(*) FROM tags__20240630 WHERE NOT \"gender\" IN ('F', 'M')")
