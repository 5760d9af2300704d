"""Uplift modelling: a T-learner with cross-fitting, and the Qini curve / AUUC.

The T-learner fits one LightGBM classifier on treated customers and one on control
customers and scores ``P(convert | treated) − P(convert | control)``. Scores are
out-of-fold (5-fold cross-fitting stratified by arm and outcome), so the Qini curve
measures how well the model would rank customers it has not seen.

The Qini curve (Radcliffe) at the top ``k`` customers by score is
``Q(k) = Y_t(k) − Y_c(k) · N_t(k) / N_c(k)``: the incremental conversions of targeting
them. It is computed with numpy here because causalml and scikit-uplift are not
dependencies of the project; the curve is a few lines and this keeps one implementation
that is tested on hand-made data. ``auuc`` is the area under ``Q`` over the fraction
targeted, divided by the number of customers; ``qini`` subtracts the area of random
targeting (the straight line to ``Q(n)``), so 0 = no better than random.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
MIN_PER_ARM = 20


@dataclass(frozen=True)
class QiniCurve:
    fraction: FloatArray  # share targeted, 0 … 1
    gain: FloatArray  # incremental conversions Q(k)
    auuc: float
    qini: float

    def as_dict(self, points: int = 21) -> dict[str, Any]:
        idx = np.unique(np.round(np.linspace(0, self.fraction.size - 1, points)).astype(int))
        return {"auuc": self.auuc, "qini": self.qini,
                "curve": [[float(self.fraction[i]), float(self.gain[i])] for i in idx]}


def qini_curve(score: FloatArray, treated: npt.NDArray[np.bool_], outcome: FloatArray) -> QiniCurve:
    """The Qini curve of ``score`` (higher = target first); ties keep input order."""
    order = np.argsort(-score, kind="stable")
    t = treated[order].astype(np.float64)
    y = outcome[order].astype(np.float64)
    n_t, n_c = np.cumsum(t), np.cumsum(1 - t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * (1 - t))
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = y_t - np.where(n_c > 0, y_c * n_t / np.where(n_c > 0, n_c, 1), 0.0)
    gain = np.concatenate([[0.0], gain])
    n = score.size
    fraction = np.arange(n + 1) / n
    area = float(np.sum((gain[1:] + gain[:-1]) / 2) / n)
    random_area = float(gain[-1]) / 2
    return QiniCurve(fraction, gain, area / n, (area - random_area) / n)


def t_learner_scores(x: FloatArray, treated: npt.NDArray[np.bool_], outcome: FloatArray, *,
                     folds: int = 5, seed: int = 0) -> FloatArray:
    """Out-of-fold T-learner uplift scores.

    Raises:
        ValueError: An arm has fewer than :data:`MIN_PER_ARM` customers or no conversions.
    """
    from lightgbm import LGBMClassifier
    from sklearn.model_selection import StratifiedKFold

    y = outcome.astype(int)
    for arm, mask in (("treatment", treated), ("control", ~treated)):
        hits = int(y[mask].sum())
        if mask.sum() < MIN_PER_ARM or min(hits, int(mask.sum()) - hits) < folds:
            raise ValueError(f"the {arm} arm needs at least {MIN_PER_ARM} customers and "
                             f"{folds} of each outcome")
    scores = np.zeros(y.size)
    strata = treated.astype(int) * 2 + y
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    params: dict[str, Any] = {"n_estimators": 150, "learning_rate": 0.05, "num_leaves": 7,
                              "min_child_samples": 20, "subsample": 0.8, "subsample_freq": 1,
                              "colsample_bytree": 0.8, "random_state": seed, "n_jobs": 1,
                              "verbose": -1}
    for train, test in splitter.split(x, strata):
        preds = []
        for mask in (treated, ~treated):
            rows = train[mask[train]]
            if y[rows].min() == y[rows].max():
                preds.append(np.full(test.size, float(y[rows].mean())))
                continue
            model = LGBMClassifier(**params).fit(x[rows], y[rows])
            proba: FloatArray = np.asarray(model.predict_proba(x[test]), dtype=np.float64)
            preds.append(proba[:, 1])
        scores[test] = preds[0] - preds[1]
    return scores
