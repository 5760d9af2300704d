"""Scores written back into a snapshot as model tags, in one transaction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portrait.models import writeback
from portrait.tags import snapshots
from portrait.tags.build import build, load_plan
from tests.models.tiny_bank import T, tiny_bank


def test_bands_rank_the_book() -> None:
    s = np.array([0.9, 0.1, np.nan, 0.5, 0.2, 0.3, 0.05, 0.6, 0.7, 0.8, 0.01])
    b = writeback.bands(s)
    assert b[0] == "high" and b[2] is None
    assert list(b).count("high") == 1 and list(b).count("medium") == 2  # 10% / next 20% of 10
    assert writeback.tag_names("churn") == ("churn_probability", "churn_band")
    assert writeback.tag_names("propensity_fund") == ("propensity_fund", "propensity_fund_band")


def test_scores_become_snapshot_columns(tmp_path: Path) -> None:
    eng = tiny_bank(tmp_path)
    build(eng, load_plan(), as_of=T)
    snap = snapshots.find(eng, T)
    assert snap is not None and "churn_probability" in snap["uncovered"]
    ids = [r[0] for r in eng.query("SELECT customer_id FROM tags__20240630 ORDER BY 1")]
    score = pd.Series(np.linspace(0, 1, len(ids)), index=ids)
    written = writeback.write(eng, T, {
        "churn_probability": score,
        "churn_band": pd.Series(writeback.bands(score.to_numpy()), index=ids, dtype=object)})
    assert written == ["churn_probability", "churn_band"]
    rows = dict(eng.query("SELECT customer_id, churn_probability FROM tags__20240630"))
    assert rows[ids[-1]] == pytest.approx(1.0) and rows[ids[0]] == pytest.approx(0.0)
    # an audience can select on it
    n = eng.query("SELECT count(*) FROM tags__20240630 WHERE churn_probability >= 0.5")[0][0]
    assert n == int((score >= 0.5).sum())
    assert eng.query("SELECT churn_band FROM tags__20240630 WHERE customer_id = ?", [ids[-1]]) == [("high",)]
    cols = list(eng.columns("tags__20240630"))
    assert cols.count("churn_probability") == 1 and cols[0] == "customer_id"
    reg = eng.query("SELECT tags, uncovered FROM tag_snapshots WHERE as_of = ?", [T])[0]
    assert "churn_probability" in json.loads(reg[0])
    assert "churn_probability" not in json.loads(reg[1])
    assert eng.query("SELECT count(*) FROM tag_history WHERE tag = 'churn_band' AND value = '\"high\"'"
                     )[0][0] == list(writeback.bands(score.to_numpy())).count("high")
