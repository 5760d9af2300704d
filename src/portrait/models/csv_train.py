"""The generic trainer: LightGBM against a logistic-regression baseline on any table.

Split rule (``split``):

* ``ordered`` (default): the last 20% of rows in file order is the test set. Extracts are
  usually in time order, so this measures what matters — predicting later customers from
  earlier ones. The validation slice for early stopping is the last 20% of the training
  part, so neither model ever sees a test row, not even to choose when to stop.
* ``random``: a stratified 80/20 split with ``seed``; the validation slice is a stratified
  20% of the training part.

After early stopping picks the number of trees, LightGBM is refitted on the whole training
part with that many trees (the validation slice is the most recent training data, too
valuable to leave out). The baseline is a standardized logistic regression over one-hot
categories, fitted on the same training part. Results are deterministic for a seed.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from portrait.errors import UsageError
from portrait.models.metrics import binary_report
from portrait.models.tabular import CategoryCodes, Dataset, describe

SPLITS = ("ordered", "random")
TEST_SHARE = 0.2
VALID_SHARE = 0.2
#: LightGBM settings: small learning rate with early stopping; deterministic. One thread:
#: fast enough for these sizes, and extra threads mostly spin-wait on a busy machine.
PARAMS: dict[str, Any] = {
    "n_estimators": 3000, "learning_rate": 0.03, "num_leaves": 31, "min_child_samples": 20,
    "colsample_bytree": 0.8, "reg_lambda": 1.0, "max_cat_to_onehot": 8, "cat_smooth": 10.0,
    "n_jobs": 1, "deterministic": True, "force_row_wise": True, "verbose": -1,
}
EARLY_STOPPING_ROUNDS = 100


def split_rows(y: np.ndarray, split: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of (fit, validation, test); fit + validation is the training part."""
    n = len(y)
    rows = np.arange(n)
    if split == "ordered":
        n_train = n - int(np.ceil(TEST_SHARE * n))
        n_fit = n_train - int(np.ceil(VALID_SHARE * n_train))
        return rows[:n_fit], rows[n_fit:n_train], rows[n_train:]
    if split == "random":
        train, test = train_test_split(rows, test_size=TEST_SHARE, random_state=seed, stratify=y)
        fit, valid = train_test_split(train, test_size=VALID_SHARE, random_state=seed,
                                      stratify=y[train])
        return np.sort(fit), np.sort(valid), np.sort(test)
    raise UsageError(f"Unknown split {split!r}; choose one of {', '.join(SPLITS)}.")


def _baseline(ds: Dataset) -> Pipeline:
    cat = [j for j, c in enumerate(ds.features) if c in ds.categorical]
    num = [j for j in range(len(ds.features)) if j not in cat]
    prep = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value=-1.0),
                              OneHotEncoder(handle_unknown="ignore")), cat),
    ])
    return make_pipeline(prep, LogisticRegression(max_iter=2000))


def _check(ds: Dataset, part: np.ndarray, name: str) -> None:
    positives = int(ds.y[part].sum())
    if positives == 0 or positives == len(part):
        raise UsageError(f"{ds.path}: the {name} rows hold only one class of {ds.target!r} "
                         f"({len(part):,} rows).",
                         hint="Try --split random, or a file with more rows of each class.")


def train(ds: Dataset, *, split: str = "ordered", seed: int = 0) -> dict[str, Any]:
    """Train and evaluate on ``ds``; returns metrics beside the baseline's, and the setup."""
    started = time.perf_counter()
    fit, valid, test = split_rows(ds.y, split, seed)
    train_part = np.concatenate([fit, valid])
    _check(ds, fit, "fitting")
    _check(ds, valid, "validation")
    codes = CategoryCodes(ds.categorical).fit(ds, train_part)
    x_fit, x_valid = codes.matrix(ds, fit), codes.matrix(ds, valid)
    x_train, x_test = codes.matrix(ds, train_part), codes.matrix(ds, test)
    y_train, y_test = ds.y[train_part], ds.y[test]
    cat_idx = [j for j, c in enumerate(ds.features) if c in ds.categorical]

    probe = lgb.LGBMClassifier(**PARAMS, random_state=seed)
    with warnings.catch_warnings():
        # ``eval_set`` is renamed in LightGBM 4.7 but is the only spelling 4.3 knows.
        warnings.simplefilter("ignore", category=FutureWarning)
        probe.fit(x_fit, ds.y[fit], eval_set=[(x_valid, ds.y[valid])], eval_metric="auc",
                  categorical_feature=cat_idx,
                  callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)])
    best = max(1, int(probe.best_iteration_ or PARAMS["n_estimators"]))
    model = lgb.LGBMClassifier(**{**PARAMS, "n_estimators": best}, random_state=seed)
    model.fit(x_train, y_train, categorical_feature=cat_idx)
    score = np.asarray(model.predict_proba(x_test))[:, 1]

    baseline = _baseline(ds).fit(x_train, y_train)
    base_score = baseline.predict_proba(x_test)[:, 1]
    rep, base = binary_report(y_test, score), binary_report(y_test, base_score)
    gain = model.booster_.feature_importance(importance_type="gain")
    top = sorted(zip(ds.features, gain.tolist(), strict=True), key=lambda t: -t[1])[:10]
    return {
        "auc": rep["auc"], "pr_auc": rep["pr_auc"], "lift_top_decile": rep["lift_top_decile"],
        "brier": rep["brier"],
        "baseline_auc": base["auc"], "baseline_pr_auc": base["pr_auc"],
        "baseline_lift_top_decile": base["lift_top_decile"], "baseline_brier": base["brier"],
        "split": split, "seed": seed,
        "n_train": len(train_part), "n_valid": len(valid), "n_test": len(test),
        "test_base_rate": rep["base_rate"], "test_positives": rep["positives"],
        "best_iteration": best,
        **describe(ds),
        "top_features": [{"feature": f, "gain": g} for f, g in top],
        "reliability": rep["reliability"],
        "model": "lightgbm.LGBMClassifier", "baseline": "logistic regression (one-hot, scaled)",
        "params": {**PARAMS, "n_estimators": best, "random_state": seed},
        "seconds": round(time.perf_counter() - started, 2),
    }

