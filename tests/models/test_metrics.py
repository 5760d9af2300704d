"""Evaluation metrics on tiny arrays whose values are computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from portrait.errors import UsageError
from portrait.models.metrics import binary_report, lift_at, regression_report, top_share_mask


def test_perfect_ranking_has_auc_and_pr_auc_one() -> None:
    rep = binary_report(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))
    assert rep["auc"] == 1.0
    assert rep["pr_auc"] == 1.0
    assert rep["n"] == 4 and rep["positives"] == 2 and rep["base_rate"] == 0.5


def test_auc_and_average_precision_by_hand() -> None:
    # pairs (pos, neg): .9>.8, .9>.6, .7<.8, .7>.6 → 3/4; AP = (1/1 + 2/3) / 2
    rep = binary_report(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.6]))
    assert rep["auc"] == pytest.approx(0.75)
    assert rep["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)


def test_brier_by_hand() -> None:
    rep = binary_report(np.array([0, 1]), np.array([0.2, 0.6]))
    assert rep["brier"] == pytest.approx((0.2**2 + 0.4**2) / 2)


def test_lift_top_decile_by_hand() -> None:
    # 20 rows, 4 positives (base 0.2); the top 2 scores hold 1 positive → 0.5 / 0.2 = 2.5
    y = np.zeros(20, dtype=int)
    y[[0, 5, 6, 7]] = 1
    score = np.linspace(1.0, 0.0, 20)  # row 0 best, row 1 second
    assert lift_at(y, score) == pytest.approx(2.5)
    assert binary_report(y, score)["lift_top_decile"] == pytest.approx(2.5)


def test_top_share_selects_a_fixed_count_even_on_ties() -> None:
    mask = top_share_mask(np.zeros(30), 0.1)
    assert mask.sum() == 3
    assert mask[:3].all()  # stable: earliest rows win ties


def test_reliability_uses_equal_frequency_bins() -> None:
    rep = binary_report(np.array([1, 0, 1, 1]), np.array([0.8, 0.1, 0.2, 0.9]), bins=2)
    assert rep["reliability"] == [
        {"bin": 1, "mean_score": pytest.approx(0.15), "observed_rate": 0.5, "n": 2},
        {"bin": 2, "mean_score": pytest.approx(0.85), "observed_rate": 1.0, "n": 2},
    ]


def test_one_class_gives_nan_auc_not_an_error() -> None:
    rep = binary_report(np.array([0, 0, 0]), np.array([0.1, 0.2, 0.3]))
    assert math.isnan(rep["auc"]) and math.isnan(rep["lift_top_decile"])


def test_non_binary_labels_are_refused() -> None:
    with pytest.raises(UsageError, match="0/1"):
        binary_report(np.array([0, 2]), np.array([0.1, 0.2]))


def test_regression_report_by_hand() -> None:
    rep = regression_report(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    assert rep["rmse"] == pytest.approx(math.sqrt(1 / 3))
    assert rep["mae"] == pytest.approx(1 / 3)
    assert rep["r2"] == pytest.approx(0.5)  # 1 - 1/2 (SS_res 1, SS_tot 2)
    assert rep["spearman"] == pytest.approx(1.0)
    assert rep["n"] == 3
