"""Re-scoring a registered model on a later as-of date: does it still hold up?

A model's stored report describes the date it was tested on. Months later the bank wants
the same figures on a newer date: features from the snapshot as of that date, encoded
exactly as in training, outcomes from (T, T+h] with the model's own horizon and label
rule. A date whose window the data does not cover yet is refused (the labels would be
silently too few). A date the model was fitted on, or whose window overlaps its training
outcomes, is allowed but flagged: its figures are optimistic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from portrait.errors import UsageError
from portrait.models import labels, metrics, trainset
from portrait.models.features import PROTECTED
from portrait.models.registry import Registered
from portrait.models.training import fairness_audit
from portrait.store.engine import Engine

#: Model kinds labelled by a window after an as-of date (see :mod:`portrait.models.labels`).
DATED_KINDS = ("adoption", "churn", "value")


def label_kind(meta: dict[str, Any]) -> str:
    """The label kind of a model, or a UsageError for a model not re-scorable by date."""
    kind = str(meta.get("kind"))
    if kind not in DATED_KINDS:
        raise UsageError(f"Model {meta.get('name')!r} ({kind}) cannot be re-evaluated on an as-of "
                         "date: its labels come from campaigns, not from a window after a date.",
                         hint="Train it again after the next campaign: `portrait models train "
                              f"--only {meta.get('name')}`.")
    return kind


def notes(meta: dict[str, Any], as_of: dt.date) -> list[str]:
    """Warnings about a date the model has seen (in-sample, or overlapping outcomes)."""
    out: list[str] = []
    train = [dt.date.fromisoformat(d) for d in meta.get("train_dates", [])]
    test = [dt.date.fromisoformat(d) for d in meta.get("test_dates", [])]
    horizon = dt.timedelta(days=int(meta["horizon_days"]))
    if as_of in train:
        out.append("in-sample: the model was fitted on this date, so its figures are optimistic")
    elif as_of in test:
        out.append("this is the date the model was tested on: the figures repeat the stored ones")
    elif train and as_of < max(train) + horizon:
        out.append(f"the outcome window overlaps the training outcomes (up to {max(train) + horizon})")
    if train and as_of < max(train):
        out.append("the date is earlier than the latest training date: not a test of the future")
    return out


def evaluate_at(engine: Engine, model: Registered, as_of: dt.date) -> dict[str, Any]:
    """The model's figures on the snapshot as of ``as_of`` and outcomes in (T, T+h].

    Raises:
        UsageError: The data does not cover the window, or the model is a response model.
        NotFoundError: The snapshot as of ``as_of`` (or T+h, for the value model) is missing.
    """
    meta = model.meta
    kind = label_kind(meta)
    days = int(meta["horizon_days"])
    labels.check_window(engine, kind, as_of, days)
    snap = trainset.snapshot_of(engine, as_of)
    present = set(snap["tags"]) - set(snap["uncovered"])
    protected = [p for p in PROTECTED if p in present]
    tags = sorted({s.tag for s in model.specs} | set(protected) | {"aum"})
    rule = labels.ChurnRule(**dict(meta.get("extra", {}).get("churn_rule") or {}))
    data = trainset.load_date(engine, as_of, days, tags, [kind], rule)
    if kind == "adoption":
        cats = list(meta.get("extra", {}).get("categories") or [])
        if not cats:
            raise UsageError(f"Model {model.name!r} does not record its product categories.",
                             hint=f"Train it again: `portrait models train --only {model.name}`.")
        ts = trainset.adoption_set([data], cats if len(cats) > 1 else cats[0], model.name)
    elif kind == "churn":
        ts = trainset.churn_set([data], model.name)
    else:
        ts = trainset.value_set([data], model.name)
    score = model.score(ts.frame) if len(ts.frame) else np.zeros(0)
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "horizon_days": days,
                           "window": [as_of.isoformat(), (as_of + dt.timedelta(days=days)).isoformat()],
                           "n": len(ts.y), "notes": notes(meta, as_of)}
    if kind == "value":
        pred = np.log1p(score)  # trained and reported on log1p(assets)
        out["metrics"] = metrics.regression_report(ts.y, pred)
        top = metrics.top_share_mask(ts.y).astype(np.int64)
        out["fairness"] = fairness_audit(pred, top, ts.frame, protected)
        return out
    y = ts.y.astype(np.int64)
    out["metrics"] = metrics.binary_report(y, score)
    out["fairness"] = fairness_audit(score, y, ts.frame, protected)
    return out
