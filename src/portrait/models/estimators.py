"""The estimators: LightGBM for propensity, churn and value, and the baselines beside them.

They follow scikit-learn's contract: ``__init__`` stores parameters, ``fit`` validates and
sets the fitted attributes (ending in ``_``). Inputs are the encoded model matrix of
:func:`portrait.models.features.encode` (float columns and pandas categories).

* :class:`GbmClassifier` / :class:`GbmRegressor` — LightGBM with early stopping on a
  validation slice cut from the *training* rows only.
* :class:`LogisticBaseline` — logistic regression on imputed, scaled numerics and
  one-hot categories: the simple model the gain is measured against.
* :class:`SegmentRateBaseline` — the outcome rate of the customer's segment (smoothed
  toward the base rate): what a bank does without a model.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from portrait.errors import UsageError

GBM_PARAMS: dict[str, Any] = {
    "n_estimators": 400, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 40,
    "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "reg_lambda": 1.0,
    "min_data_per_group": 200, "cat_smooth": 20, "verbose": -1, "n_jobs": 2,
}
EARLY_STOPPING = 30
VALIDATION_SHARE = 0.15


def _check(x: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if len(x) != len(y):
        raise UsageError(f"{len(x)} feature rows but {len(y)} labels.")
    if len(y) == 0:
        raise UsageError("No training rows.")
    return y


class _Gbm:
    _model_cls: type[lgb.LGBMModel] = lgb.LGBMModel

    def __init__(self, params: dict[str, Any] | None = None, *, random_state: int = 0,
                 validation_share: float = VALIDATION_SHARE,
                 early_stopping: int = EARLY_STOPPING) -> None:
        self.params = params
        self.random_state = random_state
        self.validation_share = validation_share
        self.early_stopping = early_stopping

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        return None

    def fit(self, x: pd.DataFrame, y: np.ndarray) -> Any:
        y = _check(x, y)
        params = {**GBM_PARAMS, **(self.params or {}), "random_state": self.random_state}
        model = self._model_cls(**params)
        callbacks: list[Any] = []
        fit_kw: dict[str, Any] = {}
        if self.validation_share > 0 and len(y) >= 200:
            xt, xv, yt, yv = train_test_split(x, y, test_size=self.validation_share,
                                              random_state=self.random_state,
                                              stratify=self._stratify(y))
            fit_kw["eval_X"], fit_kw["eval_y"] = (xv,), (yv,)
            callbacks.append(lgb.early_stopping(self.early_stopping, verbose=False))
        else:
            xt, yt = x, y
        model.fit(xt, yt, callbacks=callbacks, **fit_kw)
        self.model_ = model
        self.booster_: lgb.Booster = model.booster_
        self.feature_names_ = list(x.columns)
        self.best_iteration_ = int(model.best_iteration_ or model.n_estimators)
        return self

    def contributions(self, x: pd.DataFrame) -> np.ndarray:
        """SHAP contributions per column (last column: the expected value), raw scale."""
        out: np.ndarray = np.asarray(self.booster_.predict(x, pred_contrib=True))
        return out

    def importance(self) -> dict[str, float]:
        """Total gain per column, largest first."""
        gains = self.booster_.feature_importance(importance_type="gain")
        pairs = sorted(zip(self.feature_names_, gains, strict=True), key=lambda p: -p[1])
        return {k: float(v) for k, v in pairs}


class GbmClassifier(_Gbm):
    """LightGBM binary classifier; :meth:`score` is the probability of the positive class."""

    _model_cls = lgb.LGBMClassifier

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        return y if 2 <= int(y.sum()) <= len(y) - 2 else None

    def fit(self, x: pd.DataFrame, y: np.ndarray) -> GbmClassifier:
        y = _check(x, y)
        if len(np.unique(y)) < 2:
            raise UsageError("The training labels hold one class only; nothing to learn.")
        super().fit(x, y)
        return self

    def score(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model_.predict_proba(x))[:, 1]


class GbmRegressor(_Gbm):
    """LightGBM regressor (squared error)."""

    _model_cls = lgb.LGBMRegressor

    def fit(self, x: pd.DataFrame, y: np.ndarray) -> GbmRegressor:
        super().fit(x, y)
        return self

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model_.predict(x), dtype=float)


class LogisticBaseline:
    """Logistic regression on median-imputed, scaled numerics and one-hot categories."""

    def __init__(self, c: float = 1.0, max_iter: int = 300) -> None:
        self.c = c
        self.max_iter = max_iter

    def fit(self, x: pd.DataFrame, y: np.ndarray) -> LogisticBaseline:
        y = _check(x, y)
        cats = [c for c in x.columns if isinstance(x[c].dtype, pd.CategoricalDtype)]
        nums = [c for c in x.columns if c not in cats and x[c].notna().any()]
        steps: list[tuple[str, Any, list[str]]] = [
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                  StandardScaler()), nums)]
        if cats:
            steps.append(("cat", make_pipeline(
                SimpleImputer(strategy="constant", fill_value="(missing)"),
                OneHotEncoder(handle_unknown="ignore")), cats))
        self.pipeline_ = Pipeline([
            ("prep", ColumnTransformer(steps)),
            ("lr", LogisticRegression(C=self.c, max_iter=self.max_iter))])
        self.pipeline_.fit(self._objects(x, cats), y)
        self.categorical_ = cats
        return self

    @staticmethod
    def _objects(x: pd.DataFrame, cats: list[str]) -> pd.DataFrame:
        if not cats:
            return x
        out = x.copy()
        for c in cats:
            out[c] = out[c].astype(object).where(out[c].notna(), "(missing)")
        return out

    def score(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.pipeline_.predict_proba(self._objects(x, self.categorical_)))[:, 1]


class SegmentRateBaseline:
    """The outcome rate of each segment, smoothed toward the overall rate.

    ``prior`` pseudo-customers at the base rate are added to every segment, so a tiny
    segment does not get a rate of 0 or 1. With no segment (all missing) this is the
    base rate: a constant score.
    """

    def __init__(self, prior: float = 20.0) -> None:
        self.prior = prior

    def fit(self, segment: pd.Series, y: np.ndarray) -> SegmentRateBaseline:
        y = np.asarray(y, dtype=float)
        self.base_rate_ = float(y.mean()) if len(y) else 0.0
        keys = segment.astype(object).where(segment.notna(), "(missing)").astype(str).to_numpy()
        frame = pd.DataFrame({"k": keys, "y": y}).groupby("k")["y"].agg(["sum", "count"])
        rates = (frame["sum"] + self.prior * self.base_rate_) / (frame["count"] + self.prior)
        self.rates_ = {str(k): float(v) for k, v in rates.items()}
        return self

    def score(self, segment: pd.Series) -> np.ndarray:
        keys = segment.astype(object).where(segment.notna(), "(missing)").astype(str)
        return np.array([self.rates_.get(k, self.base_rate_) for k in keys], dtype=float)
