"""Campaign outcomes as labels on tiny hand-made tables: conversions in the attribution
window, adoption through a recorded conversion, and which campaigns may be used."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from portrait.campaign.registry import ensure_tables
from portrait.models import labels, response, trainset
from portrait.models.response import CampaignWindow
from portrait.store.engine import Engine
from portrait.tags.build import build, load_plan
from tests.models.tiny_bank import N, T, tiny_bank

SEND = dt.datetime(2024, 7, 1, 10)


def _campaign(engine: Engine, campaign_id: str, product: str, days: int = 30) -> None:
    ensure_tables(engine)
    spec = {"objective": {"product": product, "revenue_rate": 1.0}, "attribution_days": days}
    engine.execute("INSERT INTO campaigns (campaign_id, name, status, spec, send_at) "
                   "VALUES (?, ?, 'launched', ?, ?)", [campaign_id, campaign_id, json.dumps(spec), SEND])


def _contact(engine: Engine, campaign_id: str, customer: str, arm: str = "treatment",
             ts: dt.datetime = SEND) -> str:
    cid = f"{campaign_id}:{customer}"
    engine.execute("INSERT INTO contacts (contact_id, campaign_id, customer_id, channel, arm, ts) "
                   "VALUES (?, ?, ?, 'sms', ?, ?)", [cid, campaign_id, customer, arm, ts])
    return cid


def _response(engine: Engine, contact: str, customer: str, outcome: str, ts: str | None) -> None:
    engine.execute("INSERT INTO responses (response_id, contact_id, customer_id, outcome, ts) "
                   "VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMP))",
                   [f"{contact}|{outcome}|{ts}", contact, customer, outcome, ts])


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """The tiny bank with one fund campaign sent on 2024-07-01 (window 30 days)."""
    eng = tiny_bank(tmp_path)
    _campaign(eng, "fund_push", "fund")
    # c10: converted in the window; c11: a new fund holding in the window, no response;
    # c12: converted after the window; c13: opened only; c14: control, converted;
    # c15: converted, undated; c16: a new holding of another product in the window
    for c in ("c10", "c11", "c12", "c13", "c15", "c16"):
        _contact(eng, "fund_push", c)
    _contact(eng, "fund_push", "c14", arm="control")
    _response(eng, "fund_push:c10", "c10", "converted", "2024-07-20 12:00")
    _response(eng, "fund_push:c12", "c12", "converted", "2024-08-15 09:00")
    _response(eng, "fund_push:c13", "c13", "opened", "2024-07-02 09:00")
    _response(eng, "fund_push:c14", "c14", "converted", "2024-07-05 09:00")
    _response(eng, "fund_push:c15", "c15", "converted", None)
    eng.execute("INSERT INTO holdings (holding_id, customer_id, product_id, start_at, status) VALUES "
                "('h11', 'c11', 'fund', DATE '2024-07-25', 'active'), "
                "('h16', 'c16', 'card', DATE '2024-07-25', 'active')")
    return eng


def test_conversions_in_the_attribution_window(engine: Engine) -> None:
    [campaign] = response.campaigns(engine)
    assert (campaign.campaign_id, campaign.product, campaign.category) == ("fund_push", "fund", "fund")
    assert campaign.first_contact == SEND and campaign.contacted == 6  # treatment only
    assert campaign.window_end == dt.datetime(2024, 7, 31, 10)
    assert campaign.model == "response_fund"
    frame = response.conversions(engine, campaign).set_index("customer_id")
    assert list(frame.index) == ["c10", "c11", "c12", "c13", "c15", "c16"]  # no control customer
    assert sorted(frame.index[frame["converted"]]) == ["c10", "c11", "c15"]
    assert frame.loc["c11", "by_holding"] and not frame.loc["c11", "by_response"]
    assert frame.loc["c10", "by_response"] and not frame.loc["c10", "by_holding"]


def test_features_as_of_the_day_before_the_first_contact(engine: Engine) -> None:
    [campaign] = response.campaigns(engine)
    assert campaign.feature_as_of(dt.date(2024, 12, 31)) == T  # 2024-06-30
    assert campaign.feature_as_of(dt.date(2024, 5, 31)) == dt.date(2024, 5, 31)  # capped: data end
    build(engine, load_plan(), as_of=T)
    frame = trainset.snapshot_frame(engine, T, ["product_count", "txn_count_90d"])
    ts, counts = response.response_set([(campaign, frame, response.conversions(engine, campaign))],
                                        "response_fund")
    assert counts == {"fund_push": {"rows": 6, "positives": 3, "not_in_snapshot": 0}}
    assert dict(zip(ts.frame.index, ts.y, strict=True)) == {
        "c10": 1, "c11": 1, "c12": 0, "c13": 0, "c15": 1, "c16": 0}
    assert set(ts.as_of) == {SEND.date()}  # the split key: the campaign's first contact
    pd.testing.assert_frame_equal(ts.frame, frame.loc[["c10", "c11", "c12", "c13", "c15", "c16"]])


def test_which_campaigns_may_be_used() -> None:
    def window(cid: str, start: dt.datetime, category: str | None = "fund") -> CampaignWindow:
        return CampaignWindow(cid, "fund" if category else "gone", category, start, 30, 100)

    found = [window("closed", dt.datetime(2024, 7, 1)),
             window("open", dt.datetime(2024, 12, 20)),
             window("unknown", dt.datetime(2024, 7, 1), category=None),
             window("ends_with_data", dt.datetime(2024, 12, 1))]
    keep, left = response.usable(found, data_end=dt.date(2024, 12, 31), today=dt.date(2025, 1, 10))
    assert [c.campaign_id for c in keep] == ["closed", "ends_with_data"]
    assert "open until 2025-01-19" in left["open"]
    assert "objective product is unknown" in left["unknown"]
    # the clock moves on: the window has closed although the data has not caught up
    keep, _ = response.usable(found, data_end=dt.date(2024, 12, 31), today=dt.date(2025, 2, 1))
    assert "open" in [c.campaign_id for c in keep]


def test_a_recorded_conversion_is_an_adoption(engine: Engine) -> None:
    build(engine, load_plan(), as_of=T)
    frame = labels.adoption(engine, "tags__20240630", T, 90)
    fund = frame[frame["category"] == "fund"].set_index("customer_id")
    # c10 (response), c11 (holding), c14 (control, but it did convert), c15 (undated response:
    # its contact's date), c01 (holding from the tiny bank); c12's conversion is inside 90 days too
    assert sorted(fund.index[fund["adopted"]]) == ["c01", "c10", "c11", "c12", "c14", "c15"]
    assert sorted(fund.index[fund["by_response"]]) == ["c10", "c12", "c14", "c15"]
    assert "c13" not in fund.index  # opened is not a conversion
    ts = trainset.adoption_set([trainset.load_date(engine, T, 90, ["product_count"], ["adoption"])],
                               "fund", "propensity_fund")
    assert len(ts.frame) == N - 1  # c00 held the fund at T
    assert int(ts.y.sum()) == 6


def test_a_conversion_outside_the_window_is_no_adoption(engine: Engine) -> None:
    build(engine, load_plan(), as_of=T)
    frame = labels.adoption(engine, "tags__20240630", T, 30)  # window ends 2024-07-30
    fund = frame[frame["category"] == "fund"].set_index("customer_id")
    assert sorted(fund.index[fund["adopted"]]) == ["c01", "c10", "c11", "c14", "c15"]
    assert "c12" not in fund.index  # converted on 2024-08-15: no row at all


def test_no_campaigns_table(tmp_path: Path) -> None:
    engine = tiny_bank(tmp_path)
    build(engine, load_plan(), as_of=T)
    frame = labels.adoption(engine, "tags__20240630", T, 90)
    assert not frame["by_response"].any()
    assert response.campaigns(engine) == []
