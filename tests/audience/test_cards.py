"""Segment cards on a hand-made snapshot: lifts, numeric effects, holdings, names."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from portrait.audience import cards
from portrait.tags.loader import load_catalog

SPECS = {t.spec.name: t.spec for t in load_catalog()}


def book() -> tuple[pd.DataFrame, list[str]]:
    """100 customers: S1 (40) mostly online and rich, S2 (60) mostly offline."""
    orientation = ["online"] * 30 + ["offline"] * 10 + ["online"] * 10 + ["offline"] * 50
    aum = [500_000.0] * 40 + [1_000.0] * 60
    held = ([["deposit", "fund"]] * 20 + [["deposit"]] * 20 + [["deposit", "fund"]] * 6
            + [["deposit"]] * 54)
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(100)],
                          "channel_orientation": orientation, "aum": aum,
                          "gender": ["F"] * 40 + ["M"] * 60,
                          "product_categories_held": held})
    return frame, ["S1"] * 40 + ["S2"] * 60


def test_lift_of_values_against_the_book() -> None:
    frame, labels = book()
    found = cards.distinguishing(frame, labels, SPECS, ["channel_orientation"])
    (s1,) = found["S1"]
    # online: 30/40 = 0.75 in S1, 40/100 = 0.4 in the book
    assert (s1["value"], s1["segment_share"], s1["book_share"], s1["lift"]) == (
        "online", 0.75, 0.4, 1.875)
    assert s1["effect"] == pytest.approx(2 * math.asin(math.sqrt(0.75))
                                         - 2 * math.asin(math.sqrt(0.4)), abs=1e-4)
    (s2,) = found["S2"]
    # offline: 50/60 in S2 against 60/100: lift 1.389 ≥ 1.3
    assert (s2["value"], s2["lift"]) == ("offline", round((50 / 60) / 0.6, 3))


def test_numeric_tags_compare_medians_and_z() -> None:
    frame, labels = book()
    found = cards.distinguishing(frame, labels, SPECS, ["aum"])
    (hi,) = found["S1"]
    assert hi["direction"] == "high" and hi["segment_median"] == 500_000.0
    assert hi["book_median"] == 1_000.0 and hi["ratio"] == 500.0
    # aum is not heavy-tailed here (two values), so z is on the raw scale
    values = np.array([500_000.0] * 40 + [1_000.0] * 60)
    assert hi["z"] == pytest.approx((500_000 - values.mean()) / values.std(), abs=1e-3)
    assert found["S2"][0]["direction"] == "low"


def test_gender_is_never_described() -> None:
    frame, _ = book()
    tags = cards.describable(SPECS, list(frame.columns), [])
    assert tags == ["channel_orientation", "aum"]


def test_holding_rates_per_category() -> None:
    frame, labels = book()
    source, rates = cards.holding_rates(frame, labels, SPECS, [])
    assert source == "set"
    fund = {r["category"]: r for r in rates["S1"]}["fund"]
    assert (fund["holders"], fund["segment_rate"], fund["book_rate"], fund["lift"]) == (
        20, 0.5, 0.26, round(0.5 / 0.26, 3))
    assert [r["category"] for r in rates["S2"]] == ["deposit", "fund"]


def test_holding_rates_fall_back_to_the_holds_booleans() -> None:
    frame = pd.DataFrame({"holds_fund": [True, False, None, True]})
    source, rates = cards.holding_rates(frame, ["S1", "S1", "S2", "S2"], SPECS,
                                        ["product_categories_held"])
    assert source == "boolean"
    assert rates["S1"][0]["segment_rate"] == 0.5 and rates["S2"][0]["book_rate"] == 0.5


def test_names_come_from_the_vocabulary_then_titles() -> None:
    items = [
        {"tag": "gender", "kind": "value", "value": "F"},
        {"tag": "channel_orientation", "kind": "value", "value": "online"},
        {"tag": "online_ratio_90d", "kind": "numeric", "direction": "high"},  # same theme
        {"tag": "occupation", "kind": "value", "value": "teacher"},            # no word
        {"tag": "aum_band", "kind": "value", "value": "aum_50k_200k"},
    ]
    assert cards.candidate_words(items, SPECS) == [("数字化", "digital"),
                                                   ("中等资产", "mid assets")]
    only_titles = [{"tag": "occupation", "kind": "value", "value": "teacher"},
                   {"tag": "events_90d", "kind": "numeric", "direction": "high"}]
    assert cards.candidate_words(only_titles, SPECS) == [
        ("职业:teacher", "occupation: teacher"), ("近90天互动次数高", "high interactions (90 days)")]


def test_names_are_unique() -> None:
    words = {"S1": [("年轻", "young"), ("数字化", "digital"), ("中等资产", "mid assets")],
             "S2": [("年轻", "young"), ("数字化", "digital"), ("中等资产", "mid assets"),
                    ("保险", "insured")],
             "S3": [("年轻", "young"), ("数字化", "digital"), ("中等资产", "mid assets")],
             "S4": []}
    names = cards.unique_names(words)
    assert names["S2"] == {"zh": "年轻·数字化·中等资产·保险", "en": "young, digital, mid assets, insured"}
    assert names["S1"]["en"] == "young, digital, mid assets (S1)"
    assert names["S3"]["zh"] == "年轻·数字化·中等资产（S3）"
    assert names["S4"] == {"zh": "普通客群", "en": "typical customers"}
    assert len({n["en"] for n in names.values()}) == 4


def test_build_cards() -> None:
    frame, labels = book()
    built = cards.build_cards(frame, labels, SPECS, [])
    assert [(c["segment"], c["size"], c["share"]) for c in built] == [("S1", 40, 0.4),
                                                                      ("S2", 60, 0.6)]
    assert built[0]["name"] == {"zh": "高资产·数字化", "en": "high assets, digital"}
    assert built[1]["name"] == {"zh": "低资产·线下", "en": "low assets, offline"}
    assert built[0]["holdings_source"] == "set"
