"""The simulated responses: affinity by a tag, and the planted truth they carry."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from portrait.campaign import simulate


def test_affinities_rank_within_each_stratum_and_average_one() -> None:
    values = {"a": 10.0, "b": 30.0, "c": None, "d": 20.0, "x": 5.0, "y": 1.0}
    strata = {"a": "S1", "b": "S1", "c": "S1", "d": "S1", "x": "S2", "y": "S2"}
    w = simulate.affinities(values, strata)
    assert w["c"] < w["a"] < w["d"] < w["b"]  # missing ranks lowest
    assert w["y"] < w["x"]
    assert w["c"] == pytest.approx(0.2 + 1.6 * 0.5 / 4) and w["b"] == pytest.approx(0.2 + 1.6 * 3.5 / 4)
    for stratum in ("S1", "S2"):
        members = [w[c] for c, s in strata.items() if s == stratum]
        assert sum(members) / len(members) == pytest.approx(1.0)


def test_the_true_effect_follows_the_affinities(tmp_path: Path) -> None:
    members = [{"customer_id": f"C{i}", "arm": "treatment" if i % 2 else "control",
                "stratum": "S", "affinity": 0.5 if i < 50 else 1.5} for i in range(100)]
    truth = simulate.simulate(members, campaign_id="K", send_at=dt.datetime(2025, 1, 6, 10),
                              attribution_days=14, out=tmp_path / "r.csv",
                              truth={"S": (0.1, 0.2)})
    assert truth.ate == pytest.approx(0.2)  # the mean of 0.2 × affinity
    low = [dict(m, affinity=0.25) for m in members]
    assert simulate.simulate(low, campaign_id="K", send_at=dt.datetime(2025, 1, 6, 10),
                             attribution_days=14, out=tmp_path / "r2.csv",
                             truth={"S": (0.1, 0.2)}).ate == pytest.approx(0.05)
    with (tmp_path / "r.csv").open(encoding="utf-8") as fh:
        converted = {r["customer_id"] for r in csv.DictReader(fh) if r["outcome"] == "converted"}
    # converters are drawn more among the high-affinity half (0.45 vs 0.15 for treated)
    high = sum(1 for c in converted if int(c[1:]) >= 50)
    assert high > len(converted) - high
