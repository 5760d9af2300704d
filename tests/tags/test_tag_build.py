"""Each definition kind on tiny hand-made tables, with hand-computed values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from portrait.store import open_engine
from portrait.store.engine import Engine
from portrait.tags.build import build
from portrait.tags.loader import load_catalog
from portrait.tags.plan import Plan, build_plan

FIXTURE = Path(__file__).parent / "fixture_catalog"
AS_OF = dt.date(2024, 6, 30)


def plan() -> Plan:
    return build_plan(load_catalog([FIXTURE], shipped=False))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = open_engine("duckdb", tmp_path / "w.duckdb")
    fill(eng)
    return eng


def fill(eng: Engine) -> None:
    """The hand-made bank the tests below compute by hand."""
    eng.ensure_canonical_tables()
    eng.execute("""INSERT INTO customers (customer_id, gender, birth_date, joined_at) VALUES
        ('a', 'F', DATE '1990-07-01', DATE '2020-01-01'),
        ('b', 'M', DATE '1990-06-30', DATE '2021-01-01'),
        ('c', 'M', DATE '1960-01-15', DATE '2024-07-01')""")  # c joins after the as-of date
    eng.execute("""INSERT INTO products VALUES
        ('dep', 'Deposit', 'deposit', 'R1', NULL, NULL),
        ('fund', 'Fund', 'fund', 'R3', NULL, NULL)""")
    eng.execute("""INSERT INTO accounts (account_id, customer_id, type, opened_at, status) VALUES
        ('A1', 'a', 'current', DATE '2020-01-01', 'active'),
        ('B1', 'b', 'current', DATE '2021-01-01', 'active')""")
    eng.execute("""INSERT INTO holdings (holding_id, customer_id, product_id, start_at, end_at, status)
        VALUES ('h1', 'a', 'dep', DATE '2020-01-01', NULL, 'active'),
               ('h2', 'a', 'fund', DATE '2023-01-01', DATE '2024-01-01', 'closed'),
               ('h3', 'b', 'fund', DATE '2024-05-01', NULL, 'active'),
               ('h4', 'b', 'dep', DATE '2024-07-02', NULL, 'active')""")
    rows = [
        # txn, account, customer, ts, amount, balance, channel
        ("t1", "A1", "a", "2024-01-10 09:00", 1000, 1000, "branch"),
        ("t2", "A1", "a", "2024-04-15 10:00", 500, 1500, "mobile"),
        ("t3", "A1", "a", "2024-06-30 23:59", -200, 1300, "mobile"),
        ("t4", "A1", "a", "2024-07-01 08:00", 99999, 101299, "atm"),  # after the as-of date
        ("t5", "B1", "b", "2024-06-01 12:00", 60000, 60000, "web"),
        ("t6", "B1", "b", "2024-06-01 12:00", -10, 59990, "atm"),
    ]
    for r in rows:
        eng.execute("INSERT INTO transactions (txn_id, account_id, customer_id, ts, amount, "
                    "balance_after, channel, kind) VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, "
                    "'other_in')", list(r))


def snapshot(engine: Engine, as_of: dt.date = AS_OF,
             catalog: Plan | None = None) -> dict[str, dict[str, Any]]:
    report = build(engine, catalog or plan(), as_of=as_of)
    cols = list(engine.columns(report.table))
    rows = engine.query(f"SELECT * FROM {report.table} ORDER BY customer_id")
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}


def test_only_customers_who_had_joined(engine: Engine) -> None:
    assert set(snapshot(engine)) == {"a", "b"}


def test_expr_age_counts_whole_years(engine: Engine) -> None:
    snap = snapshot(engine)
    assert snap["a"]["age"] == 33  # turns 34 the day after
    assert snap["b"]["age"] == 34  # birthday on the as-of date
    assert snap["a"]["gender"] == "F"


def test_aggregates_read_nothing_after_the_as_of_date(engine: Engine) -> None:
    snap = snapshot(engine)
    # window 90d = 2024-04-02 … 2024-06-30: t2 and t3, not t1 (too old) nor t4 (future)
    assert snap["a"]["txn_count_90d"] == 2
    assert snap["a"]["income_90d"] == 500
    assert snap["a"]["balance"] == 1300  # t4's 101,299 is in the future
    assert snap["a"]["days_since_txn"] == 0
    assert snap["b"]["days_since_txn"] == 29


def test_last_breaks_ties_deterministically(engine: Engine) -> None:
    # t5 and t6 share a timestamp: the later key (t6) wins
    assert snapshot(engine)["b"]["balance"] == 59990


def add_undated_row(eng: Engine) -> None:
    """A transaction of b's without a time, whose balance would win if it sorted last."""
    eng.execute("INSERT INTO transactions (txn_id, account_id, customer_id, ts, amount, "
                "balance_after, channel, kind) VALUES ('t9', 'B1', 'b', NULL, 5, 77777, 'web', "
                "'other_in')")


def test_last_ignores_undated_rows(engine: Engine) -> None:
    add_undated_row(engine)
    assert snapshot(engine)["b"]["balance"] == 59990


def test_bins_rank_and_mode(engine: Engine) -> None:
    snap = snapshot(engine)
    assert snap["a"]["balance_band"] == "low" and snap["b"]["balance_band"] == "high"
    assert (snap["a"]["wealth_rank"], snap["b"]["wealth_rank"]) == (1, 5)
    assert snap["a"]["top_channel"] == "mobile"  # 2 of 3 in the year
    assert snap["b"]["top_channel"] == "atm"  # a tie: the smallest value


def test_set_over_a_joined_table(engine: Engine) -> None:
    snap = snapshot(engine)
    assert snap["a"]["categories"] == ["deposit"]  # the fund ended before the as-of date
    assert snap["b"]["categories"] == ["fund"]  # the deposit starts after it


def test_rfm(engine: Engine) -> None:
    snap = snapshot(engine)
    assert snap["a"]["rfm"] in {"champions", "loyal", "promising", "at_risk", "hibernating",
                                "needs_attention"}
    # a: most recent (r=5) but fewer transactions and credits than b
    assert snap["b"]["rfm"] != snap["a"]["rfm"]


def test_uncovered_tags_are_null_and_reported(engine: Engine) -> None:
    engine.execute("DELETE FROM transactions")
    report = build(engine, plan(), as_of=AS_OF)
    assert report.uncovered["balance"] == "no transactions rows on or before 2024-06-30"
    assert report.uncovered["balance_band"] == "depends on uncovered tag 'balance'"
    assert "age" not in report.uncovered
    assert report.coverage["balance"] == 0.0 and report.coverage["age"] == 1.0


def test_history_records_changes_and_rebuilds_change_nothing(engine: Engine) -> None:
    p = plan()
    build(engine, p, as_of=dt.date(2024, 5, 31))
    first = build(engine, p, as_of=AS_OF)
    assert first.history_changes > 0
    assert build(engine, p, as_of=AS_OF).history_changes == 0
    rows = engine.query("SELECT value, valid_from, valid_to FROM tag_history WHERE customer_id = 'a' "
                        "AND tag = 'balance' ORDER BY valid_from")
    assert rows == [("1500", dt.date(2024, 5, 31), AS_OF), ("1300", AS_OF, None)]


DISTINCT_TAGS = """
- {name: channels_90d, function: set, column: channel, window: 90d}
- {name: channel_count_1y, function: count_distinct, column: channel, window: 1y}
- {name: debit_channels_90d, function: set, column: channel, filter: amount < -100, window: 90d}
- {name: debit_channel_count_90d, function: count_distinct, column: channel, filter: amount < -100,
   window: 3m}
- {name: txn_days, function: count_distinct, column: CAST(ts AS DATE)}
"""


def test_distinct_aggregates_in_their_own_pass(engine: Engine, tmp_path: Path) -> None:
    import yaml

    tags = [{"name": t["name"], "title": {"en": t["name"], "zh": t["name"]}, "family": "session",
             "change": "dynamic", "sensitivity": "internal",
             "type": "set" if t["function"] == "set" else "numeric", "description": "test",
             "aggregate": {"table": "transactions", **{k: v for k, v in t.items() if k != "name"}}}
            for t in yaml.safe_load(DISTINCT_TAGS)]
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "distinct.yaml").write_text(yaml.safe_dump(tags), encoding="utf-8")
    p = build_plan(load_catalog([tmp_path / "catalog"], shipped=False))
    snap = snapshot(engine, catalog=p)
    # 90 days: a has t2, t3 (both mobile); b has t5 (web) and t6 (atm), sorted
    assert snap["a"]["channels_90d"] == ["mobile"]
    assert snap["b"]["channels_90d"] == ["atm", "web"]
    # a year: a adds t1 at the branch; t4 (atm) is after the as-of date
    assert (snap["a"]["channel_count_1y"], snap["b"]["channel_count_1y"]) == (2, 2)
    # only t3 (-200) debits more than 100: b has none, so an empty set and a zero count
    assert (snap["a"]["debit_channels_90d"], snap["b"]["debit_channels_90d"]) == (["mobile"], [])
    assert (snap["a"]["debit_channel_count_90d"], snap["b"]["debit_channel_count_90d"]) == (1, 0)
    # t5 and t6 fall on the same day
    assert (snap["a"]["txn_days"], snap["b"]["txn_days"]) == (3, 1)
