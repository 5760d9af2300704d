"""Clustering segments: the feature matrix built from a tag snapshot, and k-means on it.

Which tags become features (see ``docs/decisions.md``, "Segments"):

* numeric tags: a signed ``log1p`` when the tag is heavy-tailed (money, counts), then
  standardized; missing values take the median plus a missing-indicator column;
* ordinal tags: their level index (lowest level 0), standardized like numerics;
* boolean tags: 0/1; categorical tags: one 0/1 column per frequent level (share ≥ 2 %,
  at most 10 levels), each weighted ``1/sqrt(levels)`` so that a categorical tag weighs
  about as much as one numeric tag;
* every column is standardized and clipped to ±4 so that a handful of extreme customers
  cannot claim a cluster of their own.

Left out: uncovered tags and tags with values for under half the customers, set tags,
model scores (and the segment itself), ``restricted`` tags, consent and contact tags
(permission to contact says nothing about needs), location names, a ``bins``/``rank``/
``rfm`` tag whose source tags are already features (the same information twice), and the
protected attributes gender and age (with ``age_band`` and ``generation``) unless the
workspace asks for them.

k is fixed, or chosen in 3…10 by the mean silhouette (Euclidean, on the feature matrix) on
a fixed-seed sample of at most 5,000 customers, the candidates being fitted on a
fixed-seed sample of at most 5,000 (2 initializations each); the final model is fitted on every customer.
Segments are named ``S1`` (largest) … ``Sk``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score

from portrait.errors import UsageError
from portrait.tags.spec import TagSpec

K_RANGE = range(3, 11)
MAX_K = 10
SILHOUETTE_SAMPLE = 5_000
CANDIDATE_SAMPLE = 5_000
MINIBATCH_ABOVE = 200_000
MIN_COVERAGE = 0.5
MIN_LEVEL_SHARE = 0.02
MAX_LEVELS = 10
CLIP = 4.0
PROTECTED = ("gender", "age", "age_band", "generation")
LOCATION = ("city", "home_district", "region")
CONTACT_PREFIXES = ("consent_",)
CONTACT_SUFFIXES = ("_reachable",)
CONTACT = ("has_phone", "has_email", "reachable_channels")
SEGMENT_TAG = "segment"


@dataclass(frozen=True)
class FeatureColumn:
    """One column of the feature matrix and how it was computed from its tag.

    Attributes:
        tag: The tag it comes from.
        kind: ``numeric``, ``log`` (signed log1p first), ``ordinal``, ``boolean``,
            ``level`` (one categorical value) or ``missing`` (the tag is empty).
        level: The categorical value of a ``level`` column.
        fill: The value a missing entry takes before standardizing.
        mean: Mean subtracted.
        scale: Divisor (standard deviation, times sqrt(levels) for a categorical level).
    """

    tag: str
    kind: str
    level: str | None
    fill: float
    mean: float
    scale: float

    @property
    def name(self) -> str:
        return f"{self.tag}={self.level}" if self.level is not None else (
            f"{self.tag}:missing" if self.kind == "missing" else self.tag)

    def as_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "kind": self.kind, "level": self.level, "fill": self.fill,
                "mean": self.mean, "scale": self.scale}


@dataclass
class Features:
    """The standardized matrix (rows in the frame's order) and what it holds."""

    matrix: np.ndarray
    columns: list[FeatureColumn]
    tags: list[str]
    skipped: dict[str, str]


@dataclass
class SegmentFit:
    """A fitted segmentation of one snapshot."""

    labels: list[str]
    k: int
    seed: int
    criterion: str
    scores: dict[int, float]
    centers: np.ndarray
    features: Features
    algorithm: str
    sizes: dict[str, int] = field(default_factory=dict)


def select_tags(specs: Mapping[str, TagSpec], available: Sequence[str],
                uncovered: Sequence[str], *, include: Sequence[str] = (),
                exclude: Sequence[str] = ()) -> tuple[list[str], dict[str, str]]:
    """The tags used as features, and the reason each other available tag is not.

    Args:
        specs: Catalog specs by tag name.
        available: Columns of the snapshot.
        uncovered: Uncovered tags of the snapshot.
        include: Tags to use despite the default exclusions (e.g. ``gender``).
        exclude: Tags never to use.
    """
    chosen: list[str] = []
    skipped: dict[str, str] = {}
    names = [n for n in available if n != "customer_id"]
    for name in names:
        spec = specs.get(name)
        reason = _reason(name, spec, set(uncovered), set(include), set(exclude))
        if reason:
            skipped[name] = reason
        else:
            chosen.append(name)
    used = set(chosen)
    for name in list(chosen):
        spec = specs[name]
        sources = ([spec.bins.tag] if spec.bins else [spec.rank.tag] if spec.rank else
                   [spec.rfm.recency, spec.rfm.frequency, spec.rfm.monetary] if spec.rfm else [])
        if sources and all(s in used for s in sources) and name not in include:
            chosen.remove(name)
            skipped[name] = f"derived from {', '.join(sources)}, already features"
    return chosen, skipped


def _reason(name: str, spec: TagSpec | None, uncovered: set[str], include: set[str],
            exclude: set[str]) -> str | None:
    if spec is None:
        return "not in the catalog"
    if name in exclude:
        return "excluded by the workspace"
    if name in uncovered:
        return "uncovered"
    if spec.type == "set":
        return "set tag"
    if spec.model is not None or spec.family == "model" or name == SEGMENT_TAG:
        return "model score"
    if name in include:
        return None
    if spec.sensitivity == "restricted":
        return "restricted"
    if name in PROTECTED:
        return "protected attribute (set [segments] include to use it)"
    if name in LOCATION:
        return "location name"
    if (name in CONTACT or name.startswith(CONTACT_PREFIXES) or name.endswith(CONTACT_SUFFIXES)):
        return "consent or contact"
    return None


def _numeric(values: pd.Series) -> np.ndarray:
    return np.asarray(pd.to_numeric(values, errors="coerce"), dtype=float)


def heavy_tailed(x: np.ndarray) -> bool:
    """Skewness above 2 on the observed values (money amounts, counts)."""
    v = x[~np.isnan(x)]
    if v.size < 3 or np.std(v) == 0:
        return False
    skew = float(np.mean((v - v.mean()) ** 3) / np.std(v) ** 3)
    return abs(skew) > 2


def _standardize(raw: np.ndarray, tag: str, kind: str, level: str | None = None,
                 weight: float = 1.0) -> tuple[np.ndarray, FeatureColumn] | None:
    missing = np.isnan(raw)
    fill = float(np.median(raw[~missing])) if (~missing).any() else 0.0
    x = np.where(missing, fill, raw)
    mean, std = float(x.mean()), float(x.std())
    if std == 0:
        return None
    column = FeatureColumn(tag, kind, level, fill, mean, std / weight)
    return np.clip((x - mean) / column.scale, -CLIP, CLIP), column


def encode(raw: pd.Series, spec: TagSpec) -> list[tuple[np.ndarray, str, str | None, float]]:
    """A tag's values as raw numeric columns: (values, kind, level, weight)."""
    if spec.type == "numeric":
        x = _numeric(raw)
        if heavy_tailed(x):
            return [(np.sign(x) * np.log1p(np.abs(x)), "log", None, 1.0)]
        return [(x, "numeric", None, 1.0)]
    if spec.type == "ordinal":
        index = {v: float(i) for i, v in enumerate(spec.levels or [])}
        return [(np.array([index.get(v, np.nan) if isinstance(v, str) else np.nan
                           for v in raw], dtype=float), "ordinal", None, 1.0)]
    if spec.type == "boolean":
        return [(np.array([np.nan if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                           else float(bool(v)) for v in raw], dtype=float), "boolean", None, 1.0)]
    shares = raw.dropna().astype(str).value_counts(normalize=True) * raw.notna().mean()
    levels = [str(v) for v, s in shares.items() if s >= MIN_LEVEL_SHARE][:MAX_LEVELS]
    weight = 1 / np.sqrt(max(len(levels), 1))
    text = raw.astype("string")
    return [(np.asarray((text == lv).fillna(False), dtype=float), "level", lv, weight)
            for lv in levels]


def build_features(frame: pd.DataFrame, specs: Mapping[str, TagSpec], tags: Sequence[str],
                   skipped: dict[str, str] | None = None) -> Features:
    """The standardized feature matrix of ``frame`` over ``tags`` (see the module doc)."""
    skipped = dict(skipped or {})
    blocks: list[np.ndarray] = []
    columns: list[FeatureColumn] = []
    used: list[str] = []
    for tag in tags:
        raw = frame[tag]
        coverage = float(raw.notna().mean()) if len(raw) else 0.0
        if coverage < MIN_COVERAGE:
            skipped[tag] = f"values for {coverage:.0%} of customers (< {MIN_COVERAGE:.0%})"
            continue
        made = 0
        for values, kind, level, weight in encode(raw, specs[tag]):
            out = _standardize(values, tag, kind, level, weight)
            if out is not None:
                blocks.append(out[0])
                columns.append(out[1])
                made += 1
            if level is None and np.isnan(values).any():
                flag = _standardize(np.isnan(values).astype(float), tag, "missing")
                if flag is not None:
                    blocks.append(flag[0])
                    columns.append(flag[1])
        if made:
            used.append(tag)
        else:
            skipped[tag] = "the same value for every customer"
    if not blocks:
        raise UsageError("No tag of the snapshot can serve as a clustering feature.",
                         hint="Build tags on data with more coverage (`portrait tags build`).")
    return Features(np.column_stack(blocks), columns, used, skipped)


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def _kmeans(k: int, seed: int, n: int, n_init: int = 4) -> KMeans | MiniBatchKMeans:
    if n > MINIBATCH_ABOVE:
        return MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=n_init, batch_size=4096)
    return KMeans(n_clusters=k, random_state=seed, n_init=n_init)


def choose_k(matrix: np.ndarray, seed: int, ks: Sequence[int] = K_RANGE) -> dict[int, float]:
    """Mean silhouette per candidate k, on fixed-seed samples (see the module doc)."""
    fit_rows = matrix[_sample(len(matrix), CANDIDATE_SAMPLE, seed)]
    scored = _sample(len(fit_rows), SILHOUETTE_SAMPLE, seed + 1)
    scores: dict[int, float] = {}
    for k in ks:
        if k >= len(fit_rows):
            break
        labels = _kmeans(k, seed, len(fit_rows), n_init=2).fit_predict(fit_rows)
        if len(set(labels[scored].tolist())) < 2:
            continue
        scores[k] = round(float(silhouette_score(fit_rows[scored],
                                                  labels[scored])), 4)
    if not scores:
        raise UsageError(f"Too few customers ({len(matrix)}) to cluster.",
                         hint="Segments need more customers than segments.")
    return scores


def fit(frame: pd.DataFrame, specs: Mapping[str, TagSpec], uncovered: Sequence[str], *,
        k: int | None, seed: int, include: Sequence[str] = (),
        exclude: Sequence[str] = ()) -> SegmentFit:
    """Cluster the customers of ``frame`` (one row each) into segments S1 … Sk.

    Args:
        frame: The snapshot, one row per customer, in a stable order.
        specs: Catalog specs by tag name.
        uncovered: The snapshot's uncovered tags.
        k: Number of segments, or None to choose it by silhouette in 3…10.
        seed: Random seed (same seed and snapshot → same segments).
        include: Tags to use despite the default exclusions.
        exclude: Tags never to use.

    Raises:
        UsageError: ``k`` out of range, or nothing to cluster on.
    """
    if k is not None and not 2 <= k <= MAX_K:
        # the catalog declares the values S1 … S10 of the tag ``segment``
        raise UsageError(f"--k {k} is out of range.", hint=f"Use 2 … {MAX_K}, or --k auto.")
    tags, skipped = select_tags(specs, list(frame.columns), uncovered, include=include,
                                exclude=exclude)
    features = build_features(frame, specs, tags, skipped)
    matrix = features.matrix
    if k is not None and k >= len(matrix):
        raise UsageError(f"--k {k} needs more than {len(matrix)} customers.")
    scores: dict[int, float] = {}
    if k is None:
        scores = choose_k(matrix, seed)
        k = max(scores, key=lambda c: (scores[c], -c))
        criterion = (f"k in 3..10 with the highest mean silhouette on a seed-{seed} sample "
                     f"of ≤{SILHOUETTE_SAMPLE:,} customers")
    else:
        criterion = "k given"
    model = _kmeans(k, seed, len(matrix)).fit(matrix)
    raw_labels = np.asarray(model.labels_)
    counts = np.bincount(raw_labels, minlength=k)
    # S1 is the largest segment; ties keep the model's order
    order = sorted(range(k), key=lambda c: (-counts[c], c))
    rename = {c: f"S{i + 1}" for i, c in enumerate(order)}
    labels = [rename[int(c)] for c in raw_labels]
    centers = np.asarray(model.cluster_centers_)[order]
    sizes = {rename[c]: int(counts[c]) for c in order}
    algorithm = type(model).__name__
    return SegmentFit(labels, k, seed, criterion, scores, centers, features, algorithm, sizes)
