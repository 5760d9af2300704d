"""Feature frames from a tag snapshot: which tags a model may use, and how they are encoded.

Features are exactly the tag snapshot as of T, so a model sees what the bank knew on
that day and nothing later. Tags are left out when they cannot be a fair or honest input:

* *uncovered* tags (no data behind them: always NULL);
* *model* tags (scores of other models, written back after training: circular);
* *protected* tags — gender, age, generation and every tag computed from them (age band,
  life stage …) — unless ``[models] allow_protected`` in ``portrait.toml`` names them. They
  are kept aside for the fairness audit.

Encoding (learned on the training frame, replayed when scoring): numeric as float,
boolean as 0/1, ordinal as the level's position, categorical as a pandas category over
the training vocabulary (LightGBM splits on it natively), set tags as 0/1 columns for
their most frequent members.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from portrait.tags.plan import Plan

#: Attributes audited for fairness and excluded from features unless the config allows.
PROTECTED: tuple[str, ...] = ("gender", "age", "generation")
#: Most frequent members of a set tag that become 0/1 columns.
SET_MEMBERS = 20
#: Categorical values seen fewer times than this in training are left out (read as missing).
MIN_CATEGORY_COUNT = 20
_SLUG = re.compile(r"[^0-9A-Za-z]+")


@dataclass(frozen=True)
class FeatureSpec:
    """How one tag becomes model columns.

    Attributes:
        tag: The tag (a snapshot column).
        type: The tag's type: numeric, boolean, ordinal, categorical or set.
        columns: The model columns it yields (one, or one per set member).
        levels: Ordinal levels, lowest first; categorical vocabulary; set members.
        low, high: Numeric tags' 33rd and 67th percentiles in training ("low"/"high"
            relative to the book, for reasons).
    """

    tag: str
    type: str
    columns: tuple[str, ...]
    levels: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        return cls(tag=data["tag"], type=data["type"], columns=tuple(data["columns"]),
                   levels=tuple(data.get("levels") or ()), low=data.get("low"),
                   high=data.get("high"))


@dataclass(frozen=True)
class TagChoice:
    """Which tags of a snapshot are features, which are audited, and why others are out."""

    features: list[str]
    protected: list[str]
    excluded: dict[str, str] = field(default_factory=dict)


#: The float type of the model matrix.
FLOAT = np.float32


def protected_closure(plan: Plan, allowed: Iterable[str] = ()) -> set[str]:
    """Protected tags not allowed by the config, and every tag computed from one of them."""
    roots = {p for p in PROTECTED if p in plan.tags} - set(allowed)
    out: set[str] = set()
    for name in plan.tags:
        if roots & set(plan.closure([name])):
            out.add(name)
    return out


def choose_tags(plan: Plan, snapshot_tags: Iterable[str], uncovered: Iterable[str],
                allowed_protected: Iterable[str] = (), undated: Iterable[str] = ()) -> TagChoice:
    """Split a snapshot's tags into features, protected attributes and exclusions.

    ``undated`` names tables holding rows with no date (e.g. Berka's standing orders, a
    picture of the data's last day): a tag reading them cannot be placed in time, so it
    could carry the future into the features and is left out.
    """
    uncovered = set(uncovered)
    blocked = protected_closure(plan, allowed_protected)
    undated = set(undated)
    features: list[str] = []
    excluded: dict[str, str] = {}
    for name in snapshot_tags:
        tag = plan.tags.get(name)
        if tag is None:
            excluded[name] = "not in the catalog"
        elif tag.spec.family == "model" or tag.spec.kind == "model":
            excluded[name] = "model score"
        elif name in uncovered:
            excluded[name] = "uncovered"
        elif name in blocked:
            excluded[name] = "protected attribute (or computed from one)"
        elif undated & {t for n in plan.closure([name]) for t in plan.tags[n].tables}:
            excluded[name] = f"reads undated rows of {', '.join(sorted(undated))}: not point-in-time"
        else:
            features.append(name)
    protected = [p for p in PROTECTED if p in plan.tags and p not in uncovered]
    return TagChoice(features, protected, excluded)


def _slug(value: str) -> str:
    return _SLUG.sub("_", value).strip("_") or "x"


def fit_specs(frame: pd.DataFrame, plan: Plan, tags: list[str]) -> list[FeatureSpec]:
    """Learn each tag's encoding from the training frame."""
    specs: list[FeatureSpec] = []
    for name in tags:
        spec = plan.tags[name].spec
        col = frame[name]
        if spec.type == "numeric":
            values = pd.to_numeric(col, errors="coerce").dropna()
            low, high = (float(values.quantile(0.33)), float(values.quantile(0.67))) \
                if len(values) else (None, None)
            specs.append(FeatureSpec(name, "numeric", (name,), (), low, high))
        elif spec.type == "boolean":
            specs.append(FeatureSpec(name, "boolean", (name,)))
        elif spec.type == "ordinal":
            specs.append(FeatureSpec(name, "ordinal", (name,), tuple(spec.levels or ())))
        elif spec.type == "categorical":
            counts = col.dropna().astype(str).value_counts()
            vocab = sorted(counts[counts >= MIN_CATEGORY_COUNT].index)
            if vocab:
                specs.append(FeatureSpec(name, "categorical", (name,), tuple(vocab)))
        elif spec.type == "set":
            members = pd.Series([m for row in col.dropna() for m in row]).value_counts()
            top = sorted(members.index[:SET_MEMBERS]) if len(members) else []
            if top:
                columns = tuple(f"{name}__{_slug(m)}" for m in top)
                specs.append(FeatureSpec(name, "set", columns, tuple(top)))
    return specs


def encode(frame: pd.DataFrame, specs: list[FeatureSpec]) -> pd.DataFrame:
    """The model matrix of a snapshot frame under learned encodings (same columns, always).

    Numbers are 32-bit floats: LightGBM bins them anyway, and a million customers' matrix
    over several as-of dates takes half the memory (it ran out at 64 bits).
    """
    out: dict[str, Any] = {}
    n = len(frame)
    for spec in specs:
        col = frame[spec.tag] if spec.tag in frame else pd.Series([None] * n, index=frame.index)
        if spec.type == "numeric":
            out[spec.tag] = pd.to_numeric(col, errors="coerce").astype(FLOAT)
        elif spec.type == "boolean":
            out[spec.tag] = pd.to_numeric(col.map({True: 1.0, False: 0.0}), errors="coerce").astype(FLOAT)
        elif spec.type == "ordinal":
            pos = {level: float(i) for i, level in enumerate(spec.levels)}
            out[spec.tag] = pd.to_numeric(col.map(pos), errors="coerce").astype(FLOAT)
        elif spec.type == "categorical":
            out[spec.tag] = pd.Categorical(col.where(col.isin(spec.levels)), categories=spec.levels)
        else:
            lists = [set(v) if v is not None and not isinstance(v, float) else set() for v in col]
            for member, column in zip(spec.levels, spec.columns, strict=True):
                out[column] = np.fromiter((member in s for s in lists), dtype=FLOAT, count=n)
    return pd.DataFrame(out, index=frame.index)


def encode_many(frame: pd.DataFrame, spec_lists: Iterable[list[FeatureSpec]]) -> list[pd.DataFrame]:
    """:func:`encode` under several models' encodings, encoding each distinct one once
    (models trained together share theirs)."""
    done: dict[tuple[FeatureSpec, ...], pd.DataFrame] = {}
    out = []
    for specs in spec_lists:
        key = tuple(specs)
        if key not in done:
            done[key] = encode(frame, specs)
        out.append(done[key])
    return out


def columns_of(specs: list[FeatureSpec]) -> list[str]:
    return [c for s in specs for c in s.columns]
