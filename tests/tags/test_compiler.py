"""Generated SQL per dialect, pinned by golden files, and the compiler's building blocks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlglot import exp

from portrait.errors import UsageError
from portrait.tags.compiler import compile_snapshot, window_start
from tests.tags.test_tag_build import plan


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_snapshot_sql_is_pinned(dialect: str, golden) -> None:  # type: ignore[no-untyped-def]
    p = plan()
    sql = compile_snapshot(p, list(p.tags), dt.date(2024, 6, 30)).sql(dialect)
    golden(f"tags_fixture.{dialect}.sql", sql + "\n")


def test_fixture_aggregates_one_pass_per_window() -> None:
    p = plan()
    sql = compile_snapshot(p, list(p.tags), dt.date(2024, 6, 30)).sql("duckdb")
    # all-time and 90-day passes over transactions, plus the mode's own
    assert sql.count("FROM transactions AS t") == 3
    # the 90-day pass reads only its window: no aggregate repeats the condition
    assert sql.count("CAST('2024-04-02' AS DATE)") == 1


def test_ranks_are_computed_over_customer_id_and_the_ranked_tags_only() -> None:
    p = plan()
    query = compile_snapshot(p, list(p.tags), dt.date(2024, 6, 30)).query
    ctes = {c.alias: c.this for c in query.args["with_"].expressions}
    windows = {name for name, body in ctes.items() if body.find(exp.PercentRank)}
    assert windows and all(name.startswith("r") for name in windows)
    for name in windows:
        assert ctes[name].expressions[0].alias_or_name == "customer_id"
        assert all(e.alias.startswith("pr__") for e in ctes[name].expressions[1:])


def test_unknown_dialect() -> None:
    p = plan()
    with pytest.raises(UsageError, match="Unknown dialect 'postgres'"):
        compile_snapshot(p, ["age"], dt.date(2024, 6, 30)).sql("postgres")


@pytest.mark.parametrize(("window", "start"), [
    ("90d", dt.date(2024, 4, 2)), ("1d", dt.date(2024, 6, 30)), ("3m", dt.date(2024, 3, 31)),
    ("1y", dt.date(2023, 7, 1)), ("1m", dt.date(2024, 2, 29) + dt.timedelta(days=1)),
])
def test_window_start(window: str, start: dt.date) -> None:
    as_of = dt.date(2024, 3, 31) if window == "1m" else dt.date(2024, 6, 30)
    assert window_start(as_of, window) == start


def test_only_builds_what_is_needed() -> None:
    p = plan()
    compiled = compile_snapshot(p, ["balance_band"], dt.date(2024, 6, 30))
    sql = compiled.sql("duckdb")
    assert "balance_band" in sql and "income_90d" not in sql and "top_channel" not in sql
