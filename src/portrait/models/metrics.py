"""Evaluation metrics shared by every model: ranking, calibration and regression reports.

The numbers come from scikit-learn and SciPy (AUC, average precision, Brier, Spearman);
this module only gathers them into one plain dict that the CLI prints and the registry
stores, so every model is judged the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)

from portrait.errors import UsageError

TOP_DECILE = 0.1


def _binary_labels(y_true: np.ndarray) -> np.ndarray:
    y = np.asarray(y_true)
    if y.dtype == bool:
        return y.astype(np.int64)
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise UsageError(
            f"Binary metrics need labels 0/1, got values {sorted(values, key=str)[:5]}.",
            hint="Encode the positive class as 1 and every other class as 0.",
        )
    return y.astype(np.int64)


def top_share_mask(score: np.ndarray, share: float = TOP_DECILE) -> np.ndarray:
    """Mark the ``ceil(share * n)`` highest scores (ties broken by position, stably).

    Selecting an exact count, rather than thresholding at a quantile, keeps the size of
    the selected group fixed when many scores tie (a constant score selects 10%, not all).
    """
    s = np.asarray(score, dtype=float)
    n = len(s)
    k = min(n, max(1, int(np.ceil(share * n)))) if n else 0
    order = np.argsort(-s, kind="stable")
    mask = np.zeros(n, dtype=bool)
    mask[order[:k]] = True
    return mask


def lift_at(y_true: np.ndarray, score: np.ndarray, share: float = TOP_DECILE) -> float:
    """Positive rate among the top ``share`` by score divided by the overall positive rate."""
    y = _binary_labels(y_true)
    base = float(y.mean()) if len(y) else 0.0
    if base == 0.0:
        return float("nan")
    top = top_share_mask(score, share)
    return float(y[top].mean() / base)


def reliability_table(y_true: np.ndarray, score: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Calibration table over equal-frequency bins of the score.

    Rows are sorted by score and cut into ``bins`` groups of (nearly) equal size, so
    each bin carries enough customers to estimate its observed rate; a well calibrated
    model has ``mean_score`` close to ``observed_rate`` in every bin. Empty bins (fewer
    rows than bins) are left out.
    """
    y = _binary_labels(y_true)
    s = np.asarray(score, dtype=float)
    order = np.argsort(s, kind="stable")
    rows: list[dict[str, Any]] = []
    for i, idx in enumerate(np.array_split(order, bins)):
        if len(idx) == 0:
            continue
        rows.append(
            {
                "bin": i + 1,
                "mean_score": float(s[idx].mean()),
                "observed_rate": float(y[idx].mean()),
                "n": len(idx),
            }
        )
    return rows


def binary_report(y_true: np.ndarray, score: np.ndarray, *, bins: int = 10) -> dict[str, Any]:
    """Ranking and calibration figures of a score against 0/1 outcomes.

    Returns ``auc``, ``pr_auc`` (average precision), ``lift_top_decile``, ``brier``,
    ``base_rate``, ``n``, ``positives`` and ``reliability`` (equal-frequency bins, see
    :func:`reliability_table`). AUC and PR-AUC are NaN when only one class is present;
    Brier assumes the score is a probability in [0, 1].
    """
    y = _binary_labels(y_true)
    s = np.asarray(score, dtype=float)
    if len(y) != len(s):
        raise UsageError(f"Labels and scores differ in length ({len(y)} vs {len(s)}).")
    n = len(y)
    positives = int(y.sum())
    both = 0 < positives < n
    return {
        "auc": float(roc_auc_score(y, s)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, s)) if both else float("nan"),
        "lift_top_decile": lift_at(y, s) if n else float("nan"),
        "brier": float(brier_score_loss(y, np.clip(s, 0.0, 1.0))) if n else float("nan"),
        "base_rate": positives / n if n else float("nan"),
        "n": n,
        "positives": positives,
        "reliability": reliability_table(y, s, bins) if n else [],
    }


def regression_report(y_true: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """Error and rank-agreement figures of a numeric prediction: rmse, mae, r2, spearman, n."""
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(pred, dtype=float)
    if len(y) != len(p):
        raise UsageError(f"Targets and predictions differ in length ({len(y)} vs {len(p)}).")
    if len(y) < 2:
        nan = float("nan")
        return {"rmse": nan, "mae": nan, "r2": nan, "spearman": nan, "n": len(y)}
    rho = spearmanr(y, p).statistic
    return {
        "rmse": float(np.sqrt(mean_squared_error(y, p))),
        "mae": float(mean_absolute_error(y, p)),
        "r2": float(r2_score(y, p)),
        "spearman": float(rho) if rho is not None else float("nan"),
        "n": len(y),
    }
