"""The shipped catalog on the real Berka data, as of the end of its transactions."""

from __future__ import annotations

import datetime as dt

import pytest

from portrait.ingest.berka import BerkaAdapter
from portrait.ingest.pipeline import run_ingest
from portrait.store import init_workspace
from portrait.store.engine import Engine
from portrait.tags.build import BuildReport, build, load_plan

pytestmark = pytest.mark.integration
AS_OF = dt.date(1994, 3, 30)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, BuildReport]:
    from tests.conftest import shared

    ws = init_workspace(tmp_path_factory.mktemp("berka-tags") / "ws")
    run_ingest(ws, BerkaAdapter(shared("berka")))
    engine = ws.engine()
    return engine, build(engine, load_plan())


def _snapshot(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    return engine.query(sql.replace("SNAP", "tags__19940330"))


def test_builds_with_honest_coverage(built: tuple[Engine, BuildReport]) -> None:
    engine, report = built
    assert report.as_of == AS_OF
    # customers who had joined by the as-of date (opened an account on or before it)
    joined = engine.query("SELECT count(*) FROM customers WHERE joined_at <= DATE '1994-03-30'")[0][0]
    assert report.customers == joined
    # Berka has no app events, consents, questionnaire risk levels or occupations
    for tag in ("logins_30d", "preferred_channel", "consent_marketing_sms", "risk_level",
                "occupation", "churn_probability"):
        assert tag in report.uncovered, tag
        assert report.coverage[tag] == 0.0
    for tag in ("age", "gender", "tenure_years", "txn_count_90d", "has_defaulted_loan", "aum"):
        assert tag not in report.uncovered, tag
    assert report.coverage["age"] == 1.0


def test_defaulted_loans_are_flagged(built: tuple[Engine, BuildReport]) -> None:
    engine, _ = built
    expected = {r[0] for r in engine.query(
        "SELECT DISTINCT customer_id FROM holdings WHERE product_id = 'loan' AND "
        "attributes->>'loan_status' IN ('B', 'D') AND start_at <= DATE '1994-03-30'")}
    flagged = {r[0] for r in _snapshot(engine, "SELECT customer_id FROM SNAP WHERE has_defaulted_loan")}
    assert expected and flagged == expected


def test_pension_income_comes_from_duchod_credits(built: tuple[Engine, BuildReport]) -> None:
    engine, _ = built
    # DUCHOD credits in the 6 months up to the as-of date, straight from the source rows
    expected = dict(engine.query(
        "SELECT customer_id, sum(amount) FROM transactions WHERE kind = 'pension' AND "
        "CAST(ts AS DATE) BETWEEN DATE '1993-10-01' AND DATE '1994-03-30' GROUP BY 1"))
    got = dict(_snapshot(engine, "SELECT customer_id, income_credits_6m FROM SNAP "
                                 "WHERE income_credits_6m > 0"))
    assert len(expected) > 100
    assert got.keys() == expected.keys()
    for customer, amount in expected.items():
        assert got[customer] == pytest.approx(float(amount))
    monthly = dict(_snapshot(engine, "SELECT customer_id, monthly_income FROM SNAP"))
    assert all(monthly[c] == pytest.approx(float(a) / 6) for c, a in expected.items())


def test_age_and_generation_follow_the_birth_number(built: tuple[Engine, BuildReport]) -> None:
    engine, _ = built
    # client 2: born 1945-02-04 → 49 on 1994-03-30
    assert _snapshot(engine, "SELECT age, gender FROM SNAP WHERE customer_id = '2'") == [(49.0, "M")]


def test_rebuilding_changes_no_history(built: tuple[Engine, BuildReport]) -> None:
    engine, _ = built
    assert build(engine, load_plan(), as_of=AS_OF).history_changes == 0

