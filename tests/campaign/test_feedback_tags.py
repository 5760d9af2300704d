"""Contacts and responses become tags (contacted, responded, fatigue)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from portrait.services import campaign, tags
from tests.campaign.conftest import write_spec

FEEDBACK = ["contacted_30d", "contacted_90d", "responses_90d", "responded_90d", "campaign_fatigue"]


def test_feedback_tags_are_in_the_catalog() -> None:
    plan = tags.plan_for(None)
    for name in FEEDBACK:
        assert name in plan.tags
    assert plan.tags["contacted_30d"].tables == frozenset({"contacts"})


@pytest.mark.slow
def test_feedback_tags_after_a_campaign(bank: Path, tmp_path: Path) -> None:
    campaign.plan(bank, write_spec(tmp_path))
    campaign.launch(bank, "wealth")
    con = duckdb.connect(str(bank / "warehouse.duckdb"))
    treated, control = (con.execute(f"SELECT customer_id FROM contacts WHERE arm = '{a}' "
                                    "ORDER BY 1 LIMIT 1").fetchone()[0] for a in ("treatment", "control"))
    con.close()
    resp = tmp_path / "r.csv"
    resp.write_text(f"campaign_id,customer_id,outcome,ts\nwealth,{treated},clicked,2026-01-06\n",
                    encoding="utf-8")
    campaign.record_responses(bank, resp)
    tags.build_tags(bank, as_of=dt.date(2026, 1, 31), only=FEEDBACK)
    con = duckdb.connect(str(bank / "warehouse.duckdb"), read_only=True)
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT customer_id, contacted_30d, responses_90d, responded_90d, campaign_fatigue "
        "FROM tags__20260131 WHERE customer_id IN (?, ?)", [treated, control]).fetchall()}
    con.close()
    assert rows[treated] == (1, 1, True, False)
    assert rows[control] == (0, 0, False, False)  # control customers were never contacted


def test_feedback_tags_are_zero_not_uncovered_before_any_campaign(tmp_path: Path) -> None:
    from portrait.store import open_engine
    from portrait.tags.coverage import uncovered_tags

    engine = open_engine("duckdb", tmp_path / "w.duckdb")
    engine.ensure_canonical_tables()
    engine.execute("INSERT INTO customers (customer_id, joined_at) VALUES ('a', DATE '2020-01-01')")
    plan = tags.plan_for(None)
    missing = uncovered_tags(engine, plan, [*FEEDBACK, "txn_count_90d"], dt.date(2026, 1, 31))
    engine.close()
    assert not set(FEEDBACK) & set(missing)  # Portrait records contacts itself: none = 0
    assert "txn_count_90d" in missing  # a source's empty table still means no data
