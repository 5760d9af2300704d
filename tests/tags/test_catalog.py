"""The shipped tag catalog: it loads, documents every tag, compiles for every dialect,
and computes the values a person works out by hand on a tiny bank."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from portrait.store import open_engine
from portrait.store.engine import Engine
from portrait.tags.compiler import DIALECTS, compile_snapshot
from portrait.tags.loader import load_catalog
from portrait.tags.plan import Plan, build_plan

AS_OF = dt.date(2024, 6, 30)
FAMILIES = ("basic", "economic", "preference", "session", "lifecycle")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(load_catalog())


# -- the catalog as data -----------------------------------------------------------------


def test_catalog_has_enough_tags_in_every_family(plan: Plan) -> None:
    families = [t.spec.family for t in plan.tags.values()]
    assert len(plan.tags) >= 50
    for family in FAMILIES:
        assert families.count(family) >= 5, family


def test_one_file_per_family(plan: Plan) -> None:
    for tag in plan.tags.values():
        assert tag.source.stem == tag.spec.family, tag.name


def test_every_tag_is_documented(plan: Plan) -> None:
    for name, tag in plan.tags.items():
        spec = tag.spec
        assert spec.title.en.strip() and spec.title.zh.strip(), name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.title.zh), f"{name}: zh title"
        assert len(spec.description.split()) >= 5, f"{name}: description too short"
        if spec.type == "ordinal":
            assert spec.order, f"{name}: ordinal without order"


def test_every_tag_compiles_alone_for_every_dialect(plan: Plan) -> None:
    for name in plan.tags:
        query = compile_snapshot(plan, [name], AS_OF)
        for dialect in DIALECTS:
            assert name in query.sql(dialect), (name, dialect)


def test_weekday_rule_renders_the_same_day_count_in_spark(plan: Plan) -> None:
    # Weekday functions number days differently per engine (and sqlglot's ISODOW → Spark
    # rewrite is off by one), so the catalog counts days from a Monday instead.
    spark = compile_snapshot(plan, ["weekend_share_180d"], AS_OF).sql("spark").upper()
    assert "DATEDIFF(DAY, CAST('1900-01-01' AS DATE)" in spark
    assert "DAYOFWEEK" not in spark and "ISODOW" not in spark


# -- a tiny bank, computed by hand ---------------------------------------------------------

D = dt.date
T = dt.datetime
ROWS: dict[str, list[dict[str, Any]]] = {
    "districts": [
        {"district_id": "D1", "name": "Haidian", "region": "Beijing", "city_tier": 1,
         "avg_salary": 12000, "urban_ratio": 98.5},
    ],
    "customers": [
        # Born the day after the as-of date's month/day: not yet 34.
        {"customer_id": "C1", "phone_token": "p1", "gender": "M", "birth_date": D(1990, 7, 1),
         "district_id": "D1", "city": "Beijing", "risk_level": "C3", "joined_at": D(2020, 1, 15)},
        # Birthday on the as-of date: 59 that day.
        {"customer_id": "C2", "phone_token": "p2", "email_token": "e2", "gender": "F",
         "birth_date": D(1965, 6, 30), "district_id": "D1", "risk_level": "C2",
         "joined_at": D(2024, 3, 1)},
        # Joins after the as-of date: not in the snapshot.
        {"customer_id": "C3", "gender": "F", "birth_date": D(2001, 1, 1), "joined_at": D(2024, 7, 15)},
    ],
    "products": [
        {"product_id": "DEP", "name": "Current", "category": "deposit", "risk_grade": "R1"},
        {"product_id": "LN", "name": "Consumer loan", "category": "loan", "risk_grade": "R1"},
        {"product_id": "FD", "name": "Equity fund", "category": "fund", "risk_grade": "R4"},
        {"product_id": "TD", "name": "Time deposit 1y", "category": "time_deposit", "risk_grade": "R1"},
    ],
    "accounts": [
        {"account_id": "A1", "customer_id": "C1", "type": "current", "opened_at": D(2020, 1, 15),
         "status": "active"},
        {"account_id": "A2", "customer_id": "C2", "type": "current", "opened_at": D(2024, 3, 1),
         "status": "active"},
    ],
    "transactions": [
        {"txn_id": "T1", "account_id": "A1", "customer_id": "C1", "ts": T(2023, 12, 1, 9),
         "amount": 5000, "balance_after": 5000, "channel": "branch", "kind": "cash_in"},
        {"txn_id": "T2", "account_id": "A1", "customer_id": "C1", "ts": T(2024, 4, 5, 8),
         "amount": 8000, "balance_after": 13000, "channel": "other", "kind": "salary"},
        {"txn_id": "T3", "account_id": "A1", "customer_id": "C1", "ts": T(2024, 5, 5, 8),
         "amount": 8000, "balance_after": 21000, "channel": "other", "kind": "salary"},
        {"txn_id": "T4", "account_id": "A1", "customer_id": "C1", "ts": T(2024, 6, 5, 8),
         "amount": 8000, "balance_after": 29000, "channel": "other", "kind": "salary"},
        {"txn_id": "T5", "account_id": "A1", "customer_id": "C1", "ts": T(2024, 6, 20, 19),
         "amount": -1500, "balance_after": 27500, "channel": "pos", "kind": "card_purchase"},
        # Booked by the bank: not customer activity.
        {"txn_id": "T6", "account_id": "A1", "customer_id": "C1", "ts": T(2024, 6, 25, 0),
         "amount": 10, "balance_after": 27510, "channel": "system", "kind": "interest"},
        # After the as-of date: ignored.
        {"txn_id": "T7", "account_id": "A1", "customer_id": "C1", "ts": T(2024, 7, 2, 10),
         "amount": -1000, "balance_after": 26510, "channel": "atm", "kind": "card_withdrawal"},
        {"txn_id": "T8", "account_id": "A2", "customer_id": "C2", "ts": T(2024, 3, 1, 10),
         "amount": 700000, "balance_after": 700000, "channel": "branch", "kind": "cash_in"},
        {"txn_id": "T9", "account_id": "A2", "customer_id": "C2", "ts": T(2024, 3, 2, 10),
         "amount": -600000, "balance_after": 100000, "channel": "branch", "kind": "transfer_out"},
        {"txn_id": "T10", "account_id": "A2", "customer_id": "C2", "ts": T(2024, 6, 10, 12),
         "amount": -55000, "balance_after": 45000, "channel": "mobile", "kind": "transfer_out"},
    ],
    "holdings": [
        {"holding_id": "H1", "customer_id": "C1", "product_id": "DEP", "account_id": "A1",
         "start_at": D(2020, 1, 15), "status": "active"},
        {"holding_id": "H2", "customer_id": "C1", "product_id": "LN", "start_at": D(2023, 1, 1),
         "end_at": D(2026, 1, 1), "amount": 100000, "status": "in_arrears"},
        {"holding_id": "H3", "customer_id": "C1", "product_id": "FD", "start_at": D(2024, 2, 1),
         "amount": 20000, "status": "active"},
        # Matured before the as-of date.
        {"holding_id": "H4", "customer_id": "C1", "product_id": "TD", "start_at": D(2023, 6, 1),
         "end_at": D(2024, 6, 1), "amount": 50000, "status": "closed"},
        {"holding_id": "H5", "customer_id": "C2", "product_id": "DEP", "account_id": "A2",
         "start_at": D(2024, 3, 1), "status": "active"},
        {"holding_id": "H6", "customer_id": "C2", "product_id": "TD", "start_at": D(2024, 3, 2),
         "end_at": D(2025, 3, 2), "amount": 600000, "status": "active"},
    ],
    "events": [
        {"event_id": "E1", "customer_id": "C2", "ts": T(2024, 5, 1, 14), "channel": "branch",
         "type": "complaint"},                                   # a Wednesday afternoon
        {"event_id": "E2", "customer_id": "C2", "ts": T(2024, 6, 15, 10), "channel": "app",
         "type": "login"},                                       # a Saturday morning
        {"event_id": "E3", "customer_id": "C2", "ts": T(2024, 6, 28, 20), "channel": "app",
         "type": "product_view", "product_id": "FD"},            # a Friday evening
        {"event_id": "E4", "customer_id": "C2", "ts": T(2024, 6, 29, 21), "channel": "app",
         "type": "login"},                                       # a Saturday evening
    ],
    "consents": [
        {"customer_id": "C1", "purpose": "marketing_sms", "ts": T(2024, 1, 1), "granted": True},
        {"customer_id": "C1", "purpose": "marketing_sms", "ts": T(2024, 5, 1), "granted": False},
        {"customer_id": "C1", "purpose": "profiling", "ts": T(2024, 1, 1), "granted": True},
        {"customer_id": "C2", "purpose": "marketing_push", "ts": T(2024, 3, 1), "granted": True},
        # Recorded after the as-of date: not yet granted then.
        {"customer_id": "C2", "purpose": "marketing_sms", "ts": T(2024, 7, 1), "granted": True},
    ],
}


def _load(engine: Engine) -> None:
    engine.ensure_canonical_tables()
    for table, rows in ROWS.items():
        for row in rows:
            columns = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            engine.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


@pytest.fixture(scope="module")
def snapshot(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    engine = open_engine("duckdb", tmp_path_factory.mktemp("bank") / "w.duckdb")
    _load(engine)
    query = compile_snapshot(plan, list(plan.tags), AS_OF)
    arrow = engine.query_arrow(query.sql(engine.dialect))
    engine.close()
    return {row["customer_id"]: row for row in arrow.to_pylist()}


def test_snapshot_holds_customers_joined_by_the_as_of_date(snapshot: dict[str, dict[str, Any]]) -> None:
    assert sorted(snapshot) == ["C1", "C2"]


@pytest.mark.parametrize(("customer", "tag", "expected"), [
    # basic
    ("C1", "age", 33), ("C2", "age", 59),
    ("C1", "generation", "post_90s"), ("C2", "generation", "post_60s"),
    ("C1", "age_band", "age_25_34"), ("C1", "tenure_years", 4), ("C2", "tenure_years", 0),
    ("C1", "tenure_band", "tenure_3_5y"), ("C1", "city_tier", "tier_1"),
    ("C1", "district_avg_salary", 12000), ("C2", "home_district", "Haidian"),
    ("C1", "has_email", False), ("C2", "has_email", True),
    ("C1", "consent_marketing_sms", False), ("C1", "consent_profiling", True),
    ("C2", "consent_marketing_sms", False), ("C1", "sms_reachable", False),
    ("C2", "push_reachable", True), ("C2", "reachable_channels", ["push"]),
    # economic
    ("C1", "liquid_assets", 27510), ("C1", "investment_assets", 20000),
    ("C1", "time_deposits", 0), ("C1", "aum", 47510), ("C1", "aum_band", "aum_10k_50k"),
    ("C1", "value_tier", "mass"), ("C2", "deposit_balance", 645000),
    ("C2", "value_tier", "affluent"), ("C1", "income_credits_6m", 24000),
    ("C1", "monthly_income", 4000), ("C1", "income_months_6m", 3),
    ("C1", "income_stability", "irregular"), ("C1", "total_liabilities", 100000),
    ("C1", "debt_to_income", 100000 / 48000), ("C1", "credits_3m", 24010),
    ("C1", "net_cash_flow_3m", 22510), ("C1", "balance_trend_3m", "rising"),
    ("C2", "large_debits_90d", 1), ("C2", "large_debits_90d_amount", 55000),
    ("C1", "large_debits_90d", 0), ("C1", "has_defaulted_loan", True),
    ("C2", "has_defaulted_loan", False), ("C1", "asset_mix", "deposit_led"),
    # preference
    ("C1", "holds_loan", True), ("C2", "holds_loan", False), ("C1", "holds_fund", True),
    ("C1", "holds_time_deposit", False), ("C2", "holds_time_deposit", True),
    ("C1", "product_categories_held", ["deposit", "fund", "loan"]), ("C1", "product_count", 3),
    ("C1", "card_spend_90d", 1500), ("C1", "max_investment_risk_grade", 4),
    ("C1", "risk_preference", "growth"), ("C1", "suitability_mismatch", True),
    ("C2", "risk_preference", "cautious"), ("C2", "migratable_categories", ["fund"]),
    ("C1", "spending_categories_1y", ["card_purchase"]),
    # session
    ("C1", "txn_count_90d", 4), ("C1", "txn_volume_90d", 25500),
    ("C1", "days_since_last_txn", 10), ("C2", "logins_30d", 2),
    ("C2", "login_frequency", "occasional"), ("C2", "weekend_share_180d", 0.5),
    ("C2", "weekday_habit", "weekend"), ("C2", "active_time_of_day", "evening"),
    ("C2", "preferred_channel", "app"), ("C2", "open_complaints", 1),
    ("C2", "has_open_complaint", True), ("C2", "days_since_last_activity", 1),
    ("C1", "preferred_txn_channel", "branch"),  # one at a branch, one at a POS: a tie
    ("C2", "online_txn_share_90d", 1.0),
    # lifecycle
    ("C2", "lifecycle_stage", "new"), ("C1", "value_category", "investing"),
    ("C2", "value_category", "wealth"), ("C1", "is_active_90d", True),
    ("C1", "churn_risk", False), ("C1", "churn_probability", None),
])
def test_hand_computed_values(snapshot: dict[str, dict[str, Any]], customer: str, tag: str,
                              expected: Any) -> None:
    value = snapshot[customer][tag]
    if isinstance(expected, float) or (isinstance(expected, int) and not isinstance(expected, bool)):
        assert value is not None and math.isclose(value, expected, rel_tol=1e-9), (tag, value)
    else:
        assert value == expected, (tag, value)


def test_labels_stay_within_declared_values(plan: Plan, snapshot: dict[str, dict[str, Any]]) -> None:
    for name, tag in plan.tags.items():
        allowed = tag.spec.order or tag.spec.values
        if not allowed:
            continue
        for row in snapshot.values():
            value = row[name]
            values = value if isinstance(value, list) else [value]
            assert all(v is None or v in allowed for v in values), (name, value)


@pytest.mark.spark
@pytest.mark.slow
def test_spark_computes_what_duckdb_computes(plan: Plan, snapshot: dict[str, dict[str, Any]],
                                             tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    warehouse = open_engine("duckdb", tmp_path / "w.duckdb")
    _load(warehouse)
    spark = open_engine("spark", tmp_path, {"master": "local[1]", "shuffle_partitions": 1})
    try:
        sql = compile_snapshot(plan, list(plan.tags), AS_OF).sql("spark")
        spark.materialize(sql, list(ROWS), warehouse, "spark_snapshot")
    finally:
        spark.close()
    rows = warehouse.query_arrow("SELECT * FROM spark_snapshot").to_pylist()
    warehouse.close()
    assert sorted(r["customer_id"] for r in rows) == sorted(snapshot)
    for row in rows:
        for name, value in row.items():
            expected = snapshot[row["customer_id"]][name]
            if isinstance(value, float) and expected is not None:
                assert math.isclose(value, expected, rel_tol=1e-9), name
            else:
                assert value == expected, (row["customer_id"], name, value, expected)
