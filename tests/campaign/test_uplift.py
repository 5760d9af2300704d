"""The Qini curve on hand-made data, and the T-learner finding a planted effect."""

from __future__ import annotations

import numpy as np
import pytest

from portrait.campaign import uplift


def test_qini_curve_by_hand() -> None:
    # order by score: t1 y1, c y0, t y0, c y1
    score = np.array([0.9, 0.8, 0.7, 0.6])
    treated = np.array([True, False, True, False])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    curve = uplift.qini_curve(score, treated, y)
    # Q(1) = 1 − 0 (no control yet), Q(2) = 1 − 0·1/1 = 1, Q(3) = 1 − 0·2/1 = 1, Q(4) = 1 − 1·2/2 = 0
    assert curve.gain.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert curve.fraction.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    area = (0.5 + 1 + 1 + 0.5) / 4
    assert curve.auuc == pytest.approx(area / 4)
    assert curve.qini == pytest.approx((area - 0) / 4)
    assert curve.as_dict(points=3)["curve"] == [[0.0, 0.0], [0.5, 1.0], [1.0, 0.0]]


def test_t_learner_ranks_responsive_customers_first() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    x = rng.normal(size=(n, 3))
    treated = rng.random(n) < 0.5
    responsive = x[:, 0] > 0
    p = 0.05 + np.where(treated & responsive, 0.25, 0.0)
    y = (rng.random(n) < p).astype(float)
    scores = uplift.t_learner_scores(x, treated, y)
    assert scores[responsive].mean() > scores[~responsive].mean() + 0.1
    good = uplift.qini_curve(scores, treated, y)
    random = uplift.qini_curve(rng.random(n), treated, y)
    assert good.qini > random.qini and good.qini > 0


def test_t_learner_needs_both_arms() -> None:
    x = np.zeros((30, 1))
    with pytest.raises(ValueError, match="control arm"):
        uplift.t_learner_scores(x, np.ones(30, dtype=bool), np.r_[np.ones(15), np.zeros(15)])
    few = np.r_[np.ones(2), np.zeros(58)]
    with pytest.raises(ValueError, match="5 of each outcome"):
        uplift.t_learner_scores(np.zeros((60, 1)), np.arange(60) % 2 == 0, few)
