"""Which aggregates share a pass, and how a pass reads its rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlglot import exp

from portrait.tags.compiler import compile_snapshot
from portrait.tags.loader import load_catalog
from portrait.tags.passes import Passes
from portrait.tags.plan import Plan, build_plan

WINDOWS = """
- name: n_{w}
  title: {{en: n, zh: n}}
  family: economic
  change: dynamic
  sensitivity: internal
  type: numeric
  description: test
  aggregate: {{table: transactions, function: count{window}}}
"""


def windows_plan(tmp_path: Path, windows: list[str | None]) -> Plan:
    text = "".join(WINDOWS.format(w=w or "all", window=f", window: {w}" if w else "") for w in windows)
    (tmp_path / "w.yaml").write_text(text, encoding="utf-8")
    return build_plan(load_catalog([tmp_path], shipped=False))


def test_windows_of_about_the_same_length_share_a_pass(tmp_path: Path) -> None:
    p = windows_plan(tmp_path, ["90d", "3m", "180d", "1y", None])
    sql = compile_snapshot(p, list(p.tags), dt.date(2024, 6, 30)).sql("duckdb")
    # 90 days and 3 months share a pass; 180 days, a year and all history get one each
    assert sql.count("FROM transactions AS t") == 4
    # the shared pass reads 3 months; its 90-day count keeps to 90 days with a condition
    assert sql.count("CAST('2024-03-31' AS DATE)") == 1
    assert sql.count("CAST('2024-04-02' AS DATE)") == 1
    assert "COUNT_IF(" in sql


def test_last_orders_by_time_then_by_the_key_columns_that_can_break_a_tie() -> None:
    ts = exp.column("ts", table="t")
    # consents are keyed by (customer_id, purpose, ts): within a customer's group only the
    # purpose can break a tie of times
    assert Passes.latest("consents", ts).sql("duckdb") == "{'k0': t.ts, 'k1': t.purpose}"
    assert Passes.latest("transactions", ts).sql("duckdb") == "{'k0': t.ts, 'k1': t.txn_id}"


def test_a_pass_reads_its_window_by_comparing_the_time_column(tmp_path: Path) -> None:
    p = windows_plan(tmp_path, ["90d", None])
    passes = Passes(p, dt.date(2024, 6, 30))
    windowed, everything = (passes.source(key, names).sql("duckdb") for key, names in passes.passes().items())
    assert windowed.endswith("WHERE t.ts >= CAST('2024-04-02' AS DATE) AND t.ts < CAST('2024-07-01' AS DATE)")
    assert everything.endswith("WHERE t.ts IS NULL OR t.ts < CAST('2024-07-01' AS DATE)")
