"""Point-in-time training sets: snapshot features as of T beside outcomes in (T, T+h].

Several as-of dates are stacked into one set, each row tagged with its date, so a model
can be trained on the earlier dates and tested on the latest one. The leakage guard is
structural: features are read only from the snapshot registered *as of* T (built from
rows dated on or before T, see :mod:`portrait.tags.build`), outcomes only from
:mod:`portrait.models.labels`, and a window the data does not cover is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from portrait.errors import NotFoundError, UsageError
from portrait.models import labels
from portrait.store.engine import Engine
from portrait.tags import snapshots

KINDS = ("adoption", "churn", "value")


@dataclass
class DateData:
    """Everything one as-of date contributes: the snapshot and its outcomes."""

    as_of: dt.date
    frame: pd.DataFrame  # indexed by customer_id: feature and protected tag columns
    x: pd.DataFrame | None = None  # the encoded model matrix of ``frame`` (same rows, same order)
    adoption: pd.DataFrame | None = None  # customer_id, category, held, adopted
    churn: pd.DataFrame | None = None  # customer_id, closed, dormant, churned
    value: pd.Series | None = None  # customer_id → aum as of T+h


@dataclass
class TrainSet:
    """Stacked rows of one target: raw tag columns, the label, and each row's as-of date."""

    target: str
    frame: pd.DataFrame  # columns: the tags; index: customer_id (repeats across dates)
    y: np.ndarray
    as_of: np.ndarray  # the as-of date of each row
    x: pd.DataFrame | None = None  # encoded rows, when the dates carry a shared encoding

    @property
    def dates(self) -> list[dt.date]:
        return sorted(set(self.as_of.tolist()))


def snapshot_of(engine: Engine, as_of: dt.date) -> dict[str, Any]:
    """The snapshot registered as of exactly ``as_of`` (never a later one)."""
    snap = snapshots.find(engine, as_of)
    if snap is None or snap["as_of"] != as_of:
        raise NotFoundError(f"No tag snapshot as of {as_of}.",
                            hint=f"Build it with `portrait tags build --as-of {as_of}`.")
    return snap


def snapshot_frame(engine: Engine, as_of: dt.date, tags: Sequence[str],
                   customer_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The snapshot's ``tags`` as a frame indexed by customer_id (absent tags are NULL);
    only ``customer_ids`` when given."""
    snap = snapshot_of(engine, as_of)
    present = set(engine.columns(str(snap["table"])))
    cols = [exp.column("customer_id")] + [
        exp.column(t) if t in present else exp.alias_(exp.null(), t) for t in tags]
    sql = exp.select(*cols).from_(exp.to_table(str(snap["table"]))).order_by("customer_id")
    if customer_ids is not None:
        sql = sql.where(exp.column("customer_id").isin(
            *[exp.Literal.string(str(c)) for c in customer_ids]))
    frame = engine.query_arrow(sql.sql("duckdb")).to_pandas().set_index("customer_id")
    for col in frame.columns:  # plain objects: row-wise access to Arrow-backed strings is slow
        if isinstance(frame[col].dtype, pd.StringDtype):
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def load_date(engine: Engine, as_of: dt.date, horizon_days: int, tags: Sequence[str],
              kinds: Sequence[str], rule: labels.ChurnRule | None = None) -> DateData:
    """Read one as-of date: its snapshot and the outcomes of ``kinds`` in (T, T+h]."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise UsageError(f"Unknown label kind(s) {sorted(unknown)}; use {', '.join(KINDS)}.")
    table = str(snapshot_of(engine, as_of)["table"])
    data = DateData(as_of, snapshot_frame(engine, as_of, tags))
    if "adoption" in kinds:
        labels.check_window(engine, "adoption", as_of, horizon_days)
        data.adoption = labels.adoption(engine, table, as_of, horizon_days)
    if "churn" in kinds:
        labels.check_window(engine, "churn", as_of, horizon_days)
        data.churn = labels.churn(engine, table, as_of, horizon_days, rule or labels.ChurnRule())
    if "value" in kinds:
        labels.check_window(engine, "value", as_of, horizon_days)
        later = snapshot_of(engine, as_of + dt.timedelta(days=horizon_days))
        data.value = labels.value(engine, str(later["table"])).set_index("customer_id")["value"]
    return data


def adoption_set(dates: Sequence[DateData], category: str | Sequence[str], target: str) -> TrainSet:
    """Non-holders of the category (or of all the categories) at each T; label = a holding
    of it (any of them) starts in (T, T+h]."""
    cats = [category] if isinstance(category, str) else list(category)
    parts, ys, xs = [], [], []
    for d in dates:
        assert d.adoption is not None
        rows = d.adoption[d.adoption["category"].isin(cats)]
        held = rows.loc[rows["held"].fillna(False).astype(bool), "customer_id"]
        adopted = rows.loc[rows["adopted"].fillna(False).astype(bool), "customer_id"]
        keep = ~d.frame.index.isin(held)  # by position: the encoded rows are in frame order
        frame = d.frame[keep]
        parts.append(frame)
        xs.append(None if d.x is None else d.x[keep])
        ys.append(frame.index.isin(adopted).astype(np.int64))
    return _stack(target, dates, parts, ys, xs)


def churn_set(dates: Sequence[DateData], target: str = "churn") -> TrainSet:
    """Customers with an open account at T; label = churned in (T, T+h]."""
    parts, ys, xs = [], [], []
    for d in dates:
        assert d.churn is not None
        churned = d.churn.set_index("customer_id")["churned"]
        keep = d.frame.index.isin(churned.index)
        frame = d.frame[keep]
        parts.append(frame)
        xs.append(None if d.x is None else d.x[keep])
        ys.append(churned.reindex(frame.index).fillna(False).to_numpy(dtype=np.int64))
    return _stack(target, dates, parts, ys, xs)


def value_set(dates: Sequence[DateData], target: str = "value") -> TrainSet:
    """Every customer of the snapshot; label = log(1 + assets as of T+h)."""
    parts, ys, xs = [], [], []
    for d in dates:
        assert d.value is not None
        parts.append(d.frame)
        xs.append(d.x)
        later = d.value.reindex(d.frame.index).fillna(0.0).clip(lower=0.0)
        ys.append(np.log1p(later.to_numpy(dtype=float)))
    return _stack(target, dates, parts, ys, xs)


def _stack(target: str, dates: Sequence[DateData], parts: list[pd.DataFrame],
           ys: list[np.ndarray], xs: list[pd.DataFrame | None]) -> TrainSet:
    frame = pd.concat(parts) if parts else pd.DataFrame()
    x = pd.concat(xs) if xs and all(v is not None for v in xs) else None
    as_of = np.concatenate([np.full(len(p), d.as_of, dtype=object) for d, p in zip(dates, parts,
                                                                                     strict=True)])
    return TrainSet(target, frame, np.concatenate(ys) if ys else np.zeros(0), as_of, x)


def categories_adopted(dates: Sequence[DateData]) -> list[str]:
    """Product categories with at least one holding in the data of these dates."""
    cats: set[str] = set()
    for d in dates:
        if d.adoption is not None:
            cats.update(d.adoption["category"].dropna().unique().tolist())
    return sorted(cats)
