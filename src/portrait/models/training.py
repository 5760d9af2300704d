"""Training one target with honest validation, beside its baselines and a fairness audit.

Validation is by time when the set spans several as-of dates: fit on the earlier dates,
test on the latest (the saved model is the one tested, so its metrics describe it). With
one date only (e.g. Berka), five stratified folds give out-of-fold scores for every row
and the saved model is refit on all of them; the report says which split was used.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from portrait.errors import UsageError
from portrait.models import fairness, metrics
from portrait.models.estimators import (
    GbmClassifier,
    GbmRegressor,
    LogisticBaseline,
    SegmentRateBaseline,
)
from portrait.models.features import FeatureSpec, encode, fit_specs
from portrait.models.registry import data_hash
from portrait.models.trainset import TrainSet
from portrait.tags.plan import Plan

#: The fewest positive outcomes (train and test each) worth fitting a classifier on.
MIN_POSITIVES = 10
#: Baselines are fitted on at most this many rows (logistic regression is slow on millions).
BASELINE_ROWS = 200_000
FOLDS = 5


@dataclass
class Trained:
    """A fitted target: the model, its encodings and everything the registry records."""

    target: str
    kind: str
    model: GbmClassifier | GbmRegressor
    specs: list[FeatureSpec]
    split: str
    train_dates: list[str]
    test_dates: list[str]
    n_train: int
    n_test: int
    metrics: dict[str, Any]
    baselines: dict[str, dict[str, Any]]
    fairness: dict[str, Any]
    importance: dict[str, float]
    data_hash: str
    extra: dict[str, Any] = field(default_factory=dict)


def _sample(n: int, limit: int, seed: int = 0) -> np.ndarray:
    idx = np.arange(n)
    if n <= limit:
        return idx
    return np.sort(np.random.default_rng(seed).choice(idx, limit, replace=False))


def _binary_scores(x: pd.DataFrame, y: np.ndarray, seg: pd.Series, train: np.ndarray,
                   test: np.ndarray, params: Mapping[str, Any] | None
                   ) -> tuple[GbmClassifier, dict[str, np.ndarray]]:
    gbm = GbmClassifier(dict(params or {})).fit(x.iloc[train], y[train])
    sub = train[_sample(len(train), BASELINE_ROWS)]
    logistic = LogisticBaseline().fit(x.iloc[sub], y[sub])
    segment = SegmentRateBaseline().fit(seg.iloc[train], y[train])
    return gbm, {"model": gbm.score(x.iloc[test]), "logistic": logistic.score(x.iloc[test]),
                 "segment_rate": segment.score(seg.iloc[test]),
                 "base_rate": np.full(len(test), float(y[train].mean()))}


def _folds(y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    return list(splitter.split(np.zeros(len(y)), y))


def _split(ts: TrainSet) -> tuple[str, np.ndarray, np.ndarray]:
    dates = ts.dates
    if len(dates) >= 2:
        last = dates[-1]
        return "time", np.flatnonzero(ts.as_of != last), np.flatnonzero(ts.as_of == last)
    return f"cv{FOLDS}", np.arange(len(ts.y)), np.arange(len(ts.y))


def fairness_audit(score: np.ndarray, y: np.ndarray, frame: pd.DataFrame,
                   protected: list[str]) -> dict[str, Any]:
    """The fairness audit of scores on rows of ``frame`` by each protected attribute present
    (age in bands — under 30, 30-44, 45-59, 60+ — when there is no generation)."""
    groups = {p: frame[p].tolist() for p in protected if p in frame and p != "age"}
    if "age" in protected and "generation" not in groups and "age" in frame:
        groups["age_band"] = pd.cut(pd.to_numeric(frame["age"], errors="coerce"),
                                    [0, 30, 45, 60, 200], right=False).astype(str).tolist()
    return fairness.audit(score, y, groups) if groups else {"attributes": {}, "flagged": False}


def train_binary(ts: TrainSet, plan: Plan, features: list[str], protected: list[str], *,
                 kind: str, segment_tag: str | None, params: Mapping[str, Any] | None = None,
                 shared: Sequence[FeatureSpec] | None = None) -> Trained:
    """Fit and evaluate a classifier (adoption of a category, or churn).

    ``shared`` encodings (learned once on the training dates, see ``TrainSet.x``) save
    re-encoding the same snapshots for every target; otherwise they are learned here.
    """
    split, train, test = _split(ts)
    y = ts.y.astype(np.int64)
    if int(y[train].sum()) < MIN_POSITIVES or (split == "time" and int(y[test].sum()) < MIN_POSITIVES):
        raise UsageError("too few positive outcomes to learn from "
                         f"(train {int(y[train].sum())}, test {int(y[test].sum())}; "
                         f"need {MIN_POSITIVES} each).")
    specs = list(shared) if shared is not None and ts.x is not None \
        else fit_specs(ts.frame.iloc[train], plan, features)
    x = ts.x if shared is not None and ts.x is not None else encode(ts.frame, specs)
    seg = ts.frame[segment_tag] if segment_tag and segment_tag in ts.frame \
        else pd.Series([None] * len(ts.frame), index=ts.frame.index)
    if split == "time":
        model, scores = _binary_scores(x, y, seg, train, test, params)
    else:
        oof: dict[str, np.ndarray] = {}
        for tr, te in _folds(y):
            for k, v in _binary_scores(x, y, seg, tr, te, params)[1].items():
                oof.setdefault(k, np.zeros(len(y)))[te] = v
        scores = oof
        model = GbmClassifier(dict(params or {})).fit(x, y)
    yt = y[test]
    report = metrics.binary_report(yt, scores["model"])
    baselines = {k: _short(metrics.binary_report(yt, s)) for k, s in scores.items() if k != "model"}
    return Trained(
        ts.target, kind, model, specs, split, _dates(ts, train), _dates(ts, test),
        len(train), len(test), report, baselines,
        fairness_audit(scores["model"], yt, ts.frame.iloc[test], protected),
        _by_tag(model.importance(), specs), data_hash(x.iloc[train], y[train]))


def train_value(ts: TrainSet, plan: Plan, features: list[str], protected: list[str], *,
                params: Mapping[str, Any] | None = None,
                shared: Sequence[FeatureSpec] | None = None) -> Trained:
    """Fit and evaluate the next-period value regressor (target: log1p of assets at T+h)."""
    split, train, test = _split(ts)
    if split != "time":
        raise UsageError("The value model needs two or more as-of dates (train on earlier ones).")
    specs = list(shared) if shared is not None and ts.x is not None \
        else fit_specs(ts.frame.iloc[train], plan, features)
    x = ts.x if shared is not None and ts.x is not None else encode(ts.frame, specs)
    model = GbmRegressor(dict(params or {})).fit(x.iloc[train], ts.y[train])
    pred = model.predict(x.iloc[test])
    yt = ts.y[test]
    report = metrics.regression_report(yt, pred)
    with warnings.catch_warnings():  # a constant prediction has no rank correlation
        warnings.simplefilter("ignore")
        baselines: dict[str, dict[str, Any]] = {
            "mean": metrics.regression_report(yt, np.full(len(yt), float(ts.y[train].mean())))}
    if "aum" in ts.frame:
        now = np.log1p(pd.to_numeric(ts.frame["aum"].iloc[test], errors="coerce")
                       .fillna(0).clip(lower=0).to_numpy(dtype=float))
        baselines["assets_at_t"] = metrics.regression_report(yt, now)
    top = metrics.top_share_mask(yt).astype(np.int64)
    return Trained(
        ts.target, "value", model, specs, split, _dates(ts, train), _dates(ts, test),
        len(train), len(test), report, baselines,
        fairness_audit(pred, top, ts.frame.iloc[test], protected),
        _by_tag(model.importance(), specs), data_hash(x.iloc[train], ts.y[train]),
        {"target": "log1p(aum as of T+h)", "top_decile_share_caught":
         float(top[metrics.top_share_mask(pred)].mean()) if len(top) else float("nan")})


def _short(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "reliability"}


def _dates(ts: TrainSet, idx: np.ndarray) -> list[str]:
    return sorted({d.isoformat() for d in ts.as_of[idx]})


def _by_tag(importance: dict[str, float], specs: list[FeatureSpec]) -> dict[str, float]:
    """Column gains summed per tag (a set tag's member columns count for the tag)."""
    owner = {c: s.tag for s in specs for c in s.columns}
    out: dict[str, float] = {}
    for col, gain in importance.items():
        out[owner.get(col, col)] = out.get(owner.get(col, col), 0.0) + gain
    total = sum(out.values()) or 1.0
    return {k: round(v / total, 5) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}

