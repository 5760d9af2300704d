"""Tag quality: is each tag filled, stable, predictive, and not a copy of another?

For the snapshot as of a date (default: the latest) and, for stability, the snapshot
before it:

* **coverage** share of customers with a value (an empty set counts as none);
  **cardinality** distinct values (for a set tag: distinct elements); **distribution**
  the most frequent values with their share of covered customers (a set tag: share of
  covered customers whose set holds the element), or quantiles p5 … p95 of a numeric tag.
* **stability** PSI between the two snapshots over the older one's bins: deciles of a
  numeric tag, categories of the others (its 20 most frequent, the rest pooled), always
  with a bin for "no value"; an empty bin counts as a share of 1e-4.
* **predictive value** for the adoption of a product category in (as_of, as_of + h]
  among customers not holding one at as_of: IV with Laplace-smoothed WoE over deciles of
  a numeric tag or the 20 most frequent categories, "no value" as its own bin, and the
  lift of the best bin holding ≥ 1 % of the population.
* **redundancy** Spearman's ρ between numeric tags; bias-corrected Cramér's V for every
  other pair, a numeric tag entering through its decile bins (V rather than the
  correlation ratio because it is symmetric and on the same 0 – 1 scale for every pair).
  Pairs use rows where both tags are set, on a random sample of at most 200,000
  customers.
* **pruning** see :func:`portrait.tags.quality_report.pruning`.

Columns are read from DuckDB through Arrow a few at a time and reduced to small integer
codes at once, so memory stays at a few bytes per customer and tag.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from portrait.errors import NotFoundError, UsageError
from portrait.schema import enums
from portrait.store.engine import Engine
from portrait.tags import quality_stats as st
from portrait.tags import snapshots
from portrait.tags.plan import Plan
from portrait.tags.quality_outcome import adoption_labels, data_end, horizon_end
from portrait.tags.quality_report import (
    DUPLICATE,
    MIN_COVERAGE,
    MIN_IV,
    REDUNDANT,
    Outcome,
    OutcomeBin,
    Pair,
    QualityReport,
    TagOutcome,
    TagQuality,
    pruning,
)

TOP_CATEGORIES = 20
N_BINS = 10
PAIR_SAMPLE = 200_000
TOP_BIN_MIN_SHARE = 0.01
_GROUP = 8
_SHOWN_VALUES = 10


class _Progress:
    def start(self, description: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


def _types(engine: Engine, plan: Plan | None, table: str, tags: list[str]) -> dict[str, str]:
    """Each tag's type from the catalog, or guessed from its column for a tag no longer there."""
    sql_types = engine.columns(table)
    out: dict[str, str] = {}
    for t in tags:
        if plan is not None and t in plan.tags:
            out[t] = plan.tags[t].spec.type
            continue
        sql = sql_types.get(t, "").upper()
        out[t] = ("set" if sql.endswith("[]") or sql.startswith("LIST") else "boolean" if sql == "BOOLEAN"
                  else "categorical" if "CHAR" in sql or sql in ("TEXT", "STRING") else "numeric")
    return out


def _value(name: str, kind: str) -> exp.Expr:
    """The tag as read for quality: a DOUBLE, a VARCHAR, or a set as its sorted elements
    joined by ", " (an empty set as NULL)."""
    col = exp.column(name)
    if kind == "numeric":
        return exp.cast(col, "DOUBLE")
    if kind == "set":
        key = exp.func("array_to_string", exp.func("list_sort", col), exp.Literal.string(", "))
        return exp.func("nullif", key, exp.Literal.string(""))
    return exp.cast(col, "VARCHAR")


def _fetch(engine: Engine, table: str, names: list[str], types: dict[str, str],
           order: pa.ChunkedArray | None) -> pa.Table:
    """The columns, in ``order`` of customer_id (a plain scan is already in that order;
    reordering is the fallback)."""
    select = exp.select(*(exp.alias_(_value(n, types[n]), n) for n in names))
    if order is not None:
        select = select.select(exp.column("customer_id"))
    data = engine.query_arrow(select.from_(exp.to_table(table)))
    return data if order is None else _aligned(data, order)


def _aligned(data: pa.Table, order: pa.ChunkedArray) -> pa.Table:
    ids = data.column("customer_id")
    if ids.equals(order):
        return data
    return data.take(pc.index_in(order, value_set=ids.combine_chunks()))


def _counts(engine: Engine, table: str, names: list[str],
            types: dict[str, str]) -> dict[str, dict[str | None, int]]:
    """Rows per value (None = no value) of each tag, grouped in the warehouse."""
    if not names:
        return {}
    parts = [exp.select(exp.alias_(exp.Literal.string(n), "tag"), exp.alias_(_value(n, types[n]), "v"),
                        exp.alias_(exp.func("count", exp.Star()), "n"))
             .from_(exp.to_table(table)).group_by(exp.Literal.number(2)) for n in names]
    union: exp.Query = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    out: dict[str, dict[str | None, int]] = {n: {} for n in names}
    for tag, value, n in engine.query(union):
        out[str(tag)][value] = int(n)
    return out


def _floats(column: pa.ChunkedArray) -> st.Floats:
    return np.asarray(column.fill_null(math.nan).to_numpy(), dtype=np.float64)


def _dictionary(column: pa.ChunkedArray) -> tuple[st.Codes, np.ndarray[Any, np.dtype[np.bool_]], list[str]]:
    encoded = pc.dictionary_encode(column.combine_chunks())
    present = np.asarray(encoded.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    indices = np.asarray(encoded.indices.fill_null(0).to_numpy(), dtype=np.int64)
    return indices, present, [str(v) for v in encoded.dictionary.to_pylist()]


def _set_elements(engine: Engine, table: str, name: str) -> list[tuple[str, int]]:
    inner = exp.select(exp.alias_(exp.func("unnest", exp.column(name)), "v")).from_(exp.to_table(table))
    query = (exp.select("v", exp.alias_(exp.func("count", exp.Star()), "n"))
             .from_(inner.subquery("u")).group_by("v").order_by("n DESC", "v"))
    return [(str(r[0]), int(r[1])) for r in engine.query(query)]


def _categorical_psi(old: dict[str | None, int], new: dict[str | None, int], top: int) -> float:
    ranked = sorted(((v, c) for v, c in old.items() if v is not None), key=lambda vc: -vc[1])
    kept = [v for v, _ in ranked[:top]]
    index = {v: i for i, v in enumerate(kept)}

    def counts(dist: dict[str | None, int]) -> list[int]:
        out = [0] * (len(kept) + 2)  # kept … , other, null
        for v, c in dist.items():
            out[len(kept) + 1 if v is None else index.get(v, len(kept))] += c
        return out

    return st.psi(counts(old), counts(new))


def _outcome(enc: st.Encoded, labels: np.ndarray[Any, np.dtype[np.int8]], population: int) -> TagOutcome:
    table = st.woe_iv(enc.codes, labels, enc.bins + 1)
    names = [st.NULL_LABEL, *enc.labels]
    rates = np.divide(table.events, table.rows, out=np.zeros(len(names)), where=table.rows > 0)
    overall = table.events.sum() / max(int(table.rows.sum()), 1)
    big = table.rows >= max(1, math.ceil(TOP_BIN_MIN_SHARE * population))
    pool = np.flatnonzero(big if big.any() else table.rows > 0)
    best = int(pool[np.argmax(rates[pool])])
    bins = [OutcomeBin(names[i], int(table.rows[i]), int(table.events[i]), float(rates[i]),
                       float(table.woe[i])) for i in range(len(names)) if table.rows[i] > 0]
    return TagOutcome(table.iv, names[best], float(rates[best]), int(table.rows[best]),
                      float(rates[best] / overall) if overall > 0 else math.nan, bins)


class _Analysis:
    """One run: reads columns, keeps per-tag numbers and a sample of codes for the pairs."""

    def __init__(self, engine: Engine, plan: Plan | None, snap: dict[str, Any], progress: Any,
                 pair_sample: int, seed: int) -> None:
        self.engine, self.plan, self.snap, self.progress = engine, plan, snap, progress
        # the customers in the order a plain scan of the snapshot returns them
        self.order: pa.ChunkedArray = engine.query_arrow(
            exp.select("customer_id").from_(exp.to_table(snap["table"]))).column("customer_id")
        self.n = len(self.order)
        rng = np.random.default_rng(seed)
        self.sample = (np.sort(rng.choice(self.n, pair_sample, replace=False)) if self.n > pair_sample
                       else np.arange(self.n))
        self.codes: dict[str, st.Codes] = {}
        self.values: dict[str, st.Floats] = {}
        self.labels: dict[str, np.ndarray[Any, np.dtype[np.int8]]] = {}

    def tag(self, name: str, kind: str, column: pa.ChunkedArray,
            old: pa.ChunkedArray | dict[str | None, int] | None) -> TagQuality:
        """Numbers of one tag; ``old`` is the older snapshot's column (numeric) or its
        rows per value (others)."""
        spec = self.plan.tags[name].spec if self.plan is not None and name in self.plan.tags else None
        quality = TagQuality(name, spec.title.en if spec else name, spec.title.zh if spec else name, kind,
                             spec.family if spec else None, 0.0, 0)
        if kind == "numeric":
            values = _floats(column)
            ordered = np.sort(values[~np.isnan(values)])
            quality.coverage = ordered.size / max(self.n, 1)
            quality.cardinality = int(ordered.size > 0) + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
            if ordered.size:
                qs = st.sorted_quantiles(ordered, st.QUANTILES)
                quality.quantiles = {f"p{round(q * 100)}": float(v) for q, v in zip(st.QUANTILES, qs,
                                                                                     strict=True)}
            enc = st.bin_numeric(values, st.quantile_edges(ordered, N_BINS, presorted=True))
            if isinstance(old, pa.ChunkedArray):
                before = _floats(old)
                edges = st.quantile_edges(before, N_BINS)
                quality.psi = st.psi(st.counts_with_null(st.bin_numeric(before, edges)),
                                     st.counts_with_null(st.bin_numeric(values, edges)))
            self.values[name] = values[self.sample]
        else:
            indices, mask, dictionary = _dictionary(column)
            enc, counts = st.encode_categories(indices, mask, dictionary, TOP_CATEGORIES)
            covered = int(mask.sum())
            quality.coverage = covered / max(self.n, 1)
            shown = sorted(zip(dictionary, counts.tolist(), strict=True), key=lambda vc: -vc[1])
            if kind == "set":
                shown = _set_elements(self.engine, self.snap["table"], name)
            elif kind == "ordinal" and spec is not None and spec.levels:
                rank = {v: i for i, v in enumerate(spec.levels)}
                shown = sorted(shown, key=lambda vc: rank.get(vc[0], len(rank)))
            quality.cardinality = sum(1 for _, c in shown if c > 0)
            limit = None if kind == "ordinal" else _SHOWN_VALUES
            quality.top_values = [(v, c / covered) for v, c in shown[:limit] if c > 0 and covered]
            if isinstance(old, dict):
                now: dict[str | None, int] = dict(zip(dictionary, counts.tolist(), strict=True))
                now[None] = self.n - covered
                quality.psi = _categorical_psi(old, now, TOP_CATEGORIES)
        quality.stability = st.psi_flag(quality.psi)
        for category, labels in self.labels.items():
            population = int(((labels == 0) | (labels == 1)).sum())
            quality.outcomes[category] = _outcome(enc, labels, population)
        self.codes[name] = enc.codes[self.sample]
        return quality

    def pairs(self, tags: list[TagQuality]) -> list[Pair]:
        """Every pair of non-constant tags with |ρ| or V above the redundancy threshold."""
        names = [t.name for t in tags if t.cardinality > 1]
        numeric = [n for n in names if n in self.values]
        found: list[Pair] = []
        if len(numeric) > 1:
            matrix = np.column_stack([self.values[n] for n in numeric])
            rho = st.spearman_matrix(matrix)
            present = (~np.isnan(matrix)).astype(np.float64)
            common = np.einsum("ij,ik->jk", present, present)
            for x, y in zip(*np.triu_indices(len(numeric), 1), strict=True):
                if not math.isnan(rho[x, y]) and abs(rho[x, y]) > REDUNDANT:
                    found.append(Pair(numeric[x], numeric[y], "spearman", float(rho[x, y]),
                                      int(common[x, y])))
        self.progress.start("Comparing tags", total=len(names))
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if a in self.values and b in self.values:
                    continue
                v = st.cramers_v(self.codes[a], self.codes[b])
                if not math.isnan(v) and v > REDUNDANT:
                    both = int(((self.codes[a] > 0) & (self.codes[b] > 0)).sum())
                    found.append(Pair(a, b, "cramers_v", v, both))
            self.progress.advance()
        return sorted(found, key=lambda p: -abs(p.value))


def _check_outcomes(engine: Engine, outcomes: Sequence[str]) -> None:
    known = set(enums.PRODUCT_CATEGORIES) | {str(r[0]) for r in engine.query(
        exp.select("category").distinct().from_("products"))}
    for name in outcomes:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=3)
            raise UsageError(f"Unknown product category {name!r} for --outcome.",
                             hint=f"Did you mean {', '.join(close)}?" if close
                             else f"Use one of: {', '.join(sorted(known))}.")


def analyse(engine: Engine, plan: Plan | None, *, as_of: dt.date | None = None,
            outcomes: Sequence[str] = (), horizon: str = "90d", progress: Any = None,
            pair_sample: int = PAIR_SAMPLE, seed: int = 0) -> QualityReport:
    """Measure every covered tag of the snapshot as of ``as_of`` (default: the latest).

    Args:
        engine: The warehouse.
        plan: The catalog, for titles, types and ordinal levels (``None``: guessed).
        as_of: Snapshot date; stability compares it with the snapshot before it.
        outcomes: Product categories whose adoption the tags should predict.
        horizon: Adoption window after ``as_of`` (``90d``, ``6m``, ``1y``).
        progress: Progress sink.
        pair_sample: At most this many customers (a seeded random sample) for the pairs.
        seed: Seed of that sample.

    Raises:
        NotFoundError: No snapshot (as of that date).
        UsageError: An unknown product category or a malformed horizon.
    """
    started = time.perf_counter()
    progress = progress or _Progress()
    snap = snapshots.find(engine, as_of)
    if snap is None:
        raise NotFoundError("No tag snapshot" + (f" as of {as_of}" if as_of else "") + ".",
                            hint="Build one with `portrait tags build"
                            + (f" --as-of {as_of}`." if as_of else "`."))
    end = horizon_end(snap["as_of"], horizon)
    _check_outcomes(engine, outcomes)
    previous = next((s for s in snapshots.snapshots(engine) if s["as_of"] < snap["as_of"]), None)
    uncovered = dict(snap["uncovered"])
    names = [t for t in snap["tags"] if t not in uncovered]
    types = _types(engine, plan, snap["table"], names)
    run = _Analysis(engine, plan, snap, progress, pair_sample, seed)
    notes: list[str] = []
    if previous is None:
        notes.append("Only one snapshot up to this date: stability (PSI) needs an earlier one.")
    report_outcomes: list[Outcome] = []
    last = data_end(engine)
    for category in outcomes:
        column = _aligned(adoption_labels(engine, snap["table"], category, snap["as_of"], end),
                          run.order).column("adopted")
        labels = np.asarray(column.fill_null(-1).to_numpy(), dtype=np.int8)
        held = int((labels < 0).sum())
        adopters = int((labels == 1).sum())
        outcome = Outcome(category, horizon, snap["as_of"], end, int(labels.size) - held, held, adopters,
                          analysed=adopters > 0)
        if adopters == 0:
            outcome.note = (f"No customer adopted {category} in ({snap['as_of']}, {end}]"
                            + (f"; the data ends on {last}" if last is not None and last <= end else "")
                            + ": predictive value not computed.")
        else:
            run.labels[category] = labels
            if last is not None and last < end:
                outcome.note = f"The data ends on {last}: only part of the horizon is observed."
        report_outcomes.append(outcome)
    old_names = set(previous["tags"]) - set(previous["uncovered"]) if previous is not None else set()
    progress.start(f"Profiling {len(names)} tags as of {snap['as_of']}", total=len(names))
    tags: list[TagQuality] = []
    for i in range(0, len(names), _GROUP):
        group = names[i:i + _GROUP]
        current = _fetch(engine, snap["table"], group, types, run.order)
        olds = [n for n in group if n in old_names]
        old_numeric = [n for n in olds if types[n] == "numeric"]
        before: dict[str, pa.ChunkedArray | dict[str | None, int]] = {}
        if previous is not None and old_numeric:
            data = _fetch(engine, previous["table"], old_numeric, types, None)
            before.update({n: data.column(n) for n in old_numeric})
        if previous is not None:
            before.update(_counts(engine, previous["table"], [n for n in olds if n not in old_numeric],
                                  types))
        for name in group:
            tags.append(run.tag(name, types[name], current.column(name), before.get(name)))
            progress.advance()
    pairs = run.pairs(tags)
    analysed = [o.category for o in report_outcomes if o.analysed]
    method = {
        "psi_bins": f"deciles of the older snapshot (numeric), its {TOP_CATEGORIES} most frequent "
                    "categories + other (others); a no-value bin; empty bins count as 1e-4",
        "psi_flags": {"moderate": "0.1 – 0.25", "unstable": "> 0.25"},
        "iv_bins": f"deciles of the snapshot (numeric), {TOP_CATEGORIES} most frequent categories "
                   "+ other; no value as its own bin",
        "woe_smoothing": f"Laplace, {st.WOE_ALPHA} added to events and non-events per bin",
        "lift": f"adoption rate of the best bin holding ≥ {TOP_BIN_MIN_SHARE:.0%} of the population / "
                "overall rate",
        "redundancy": "Spearman ρ for numeric pairs; bias-corrected Cramér's V otherwise (numeric via "
                      "decile bins); rows where both are set",
        "pair_sample": min(pair_sample, run.n), "redundant_above": REDUNDANT,
        "duplicate_at": DUPLICATE, "min_coverage": MIN_COVERAGE, "min_iv": MIN_IV,
    }
    return QualityReport(snap["as_of"], snap["table"], run.n, previous["as_of"] if previous else None,
                         tags, uncovered, report_outcomes, pairs, pruning(tags, pairs, analysed),
                         notes, method, time.perf_counter() - started)
