"""What a tag-quality run finds, as plain data: per-tag numbers, outcomes, redundant pairs,
and the pruning list derived from them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

#: |ρ| or V at or above which two tags are near-duplicates (one of them is pruned).
DUPLICATE = 0.95
#: |ρ| or V above which a pair is listed as redundant.
REDUNDANT = 0.9
#: Below this coverage a tag is pruned.
MIN_COVERAGE = 0.01
#: Below this IV (for every outcome analysed) a tag carries no signal.
MIN_IV = 0.02


def _num(value: float | None, digits: int = 4) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, digits)


@dataclass
class OutcomeBin:
    label: str
    rows: int
    adopters: int
    rate: float
    woe: float


@dataclass
class TagOutcome:
    """How well one tag predicts one outcome."""

    iv: float
    top_bin: str
    top_rate: float
    top_rows: int
    lift: float
    bins: list[OutcomeBin] = field(default_factory=list)


@dataclass
class TagQuality:
    """One tag's coverage, distribution, stability and predictive value."""

    name: str
    title_en: str
    title_zh: str
    type: str
    family: str | None
    coverage: float
    cardinality: int
    top_values: list[tuple[str, float]] = field(default_factory=list)
    quantiles: dict[str, float] | None = None
    psi: float | None = None
    stability: str | None = None
    outcomes: dict[str, TagOutcome] = field(default_factory=dict)

    @property
    def max_iv(self) -> float | None:
        return max((o.iv for o in self.outcomes.values()), default=None)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["coverage"] = _num(self.coverage)
        data["psi"] = _num(self.psi)
        data["top_values"] = [{"value": v, "share": _num(s)} for v, s in self.top_values]
        for name, out in data["outcomes"].items():
            for key in ("iv", "top_rate", "lift"):
                out[key] = _num(out[key])
            out["bins"] = [{**b, "rate": _num(b["rate"]), "woe": _num(b["woe"])} for b in out["bins"]]
            data["outcomes"][name] = out
        return data


@dataclass
class Outcome:
    """Adoption of a product category in (start, end]: who counts and how many adopted."""

    category: str
    horizon: str
    start: dt.date
    end: dt.date
    population: int
    already_holding: int
    adopters: int
    analysed: bool
    note: str | None = None

    @property
    def rate(self) -> float:
        return self.adopters / self.population if self.population else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "horizon": self.horizon, "after": self.start.isoformat(),
                "until": self.end.isoformat(), "population": self.population,
                "already_holding": self.already_holding, "adopters": self.adopters,
                "rate": _num(self.rate, 6), "analysed": self.analysed, "note": self.note}


@dataclass
class Pair:
    """Association between two tags: Spearman's ρ (numeric pairs) or Cramér's V."""

    a: str
    b: str
    measure: str
    value: float
    rows: int

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "measure": self.measure, "value": _num(self.value),
                "rows": self.rows}


@dataclass
class Prune:
    """A tag worth dropping, why, and the numbers that say so."""

    tag: str
    reason: str
    detail: str
    keep: str | None = None
    numbers: dict[str, float | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "reason": self.reason, "detail": self.detail, "keep": self.keep,
                "numbers": {k: _num(v) if isinstance(v, float) else v for k, v in self.numbers.items()}}


@dataclass
class QualityReport:
    as_of: dt.date
    table: str
    customers: int
    previous_as_of: dt.date | None
    tags: list[TagQuality]
    uncovered: dict[str, str]
    outcomes: list[Outcome]
    pairs: list[Pair]
    prune: list[Prune]
    notes: list[str] = field(default_factory=list)
    method: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    html_path: str | None = None

    def tag(self, name: str) -> TagQuality:
        return next(t for t in self.tags if t.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "table": self.table, "customers": self.customers,
            "previous_as_of": self.previous_as_of.isoformat() if self.previous_as_of else None,
            "tags": [t.as_dict() for t in self.tags], "uncovered": self.uncovered,
            "outcomes": [o.as_dict() for o in self.outcomes],
            "redundant_pairs": [p.as_dict() for p in self.pairs],
            "prune": [p.as_dict() for p in self.prune], "notes": self.notes, "method": self.method,
            "elapsed_s": round(self.elapsed_s, 3), "html": self.html_path,
        }


def _rank(t: TagQuality) -> tuple[float, float]:
    """Which of near-duplicates to keep: higher coverage (to the percentage point), then IV."""
    return round(t.coverage, 2), t.max_iv if t.max_iv is not None else -1.0


def pruning(tags: list[TagQuality], pairs: list[Pair], analysed: list[str], *,
            duplicate: float = DUPLICATE, min_coverage: float = MIN_COVERAGE,
            min_iv: float = MIN_IV) -> list[Prune]:
    """Tags to drop: constant, (almost) never set, no signal, or a near-duplicate of another.

    Each tag is listed once, for the first reason that applies in that order. The
    remaining tags are visited best first (higher coverage to the percentage point, then
    higher IV, then name); one that nearly duplicates (|ρ| or V ≥ ``duplicate``) a tag
    already kept is pruned in its favour, so every pruned duplicate names a tag that
    stays.

    Args:
        tags: Per-tag numbers.
        pairs: Associations between tags (at least those ≥ ``duplicate``).
        analysed: Outcomes whose IV counts; with none, no tag is pruned for lack of signal.
    """
    out: dict[str, Prune] = {}
    for t in tags:
        if t.cardinality <= 1:
            out[t.name] = Prune(t.name, "constant",
                                f"{t.cardinality} distinct value(s) over {t.coverage:.1%} coverage",
                                numbers={"cardinality": float(t.cardinality), "coverage": t.coverage})
        elif t.coverage < min_coverage:
            out[t.name] = Prune(t.name, "low_coverage",
                                f"coverage {t.coverage:.2%} < {min_coverage:.0%}",
                                numbers={"coverage": t.coverage})
    if analysed:
        for t in tags:
            ivs = {o: t.outcomes[o].iv for o in analysed if o in t.outcomes}
            if t.name in out or not ivs or max(ivs.values()) >= min_iv:
                continue
            shown = ", ".join(f"{o} {v:.4f}" for o, v in ivs.items())
            out[t.name] = Prune(t.name, "no_signal", f"IV < {min_iv} for every outcome ({shown})",
                                numbers={f"iv_{o}": v for o, v in ivs.items()})
    close: dict[str, dict[str, Pair]] = {}
    for p in pairs:
        if abs(p.value) >= duplicate:
            close.setdefault(p.a, {})[p.b] = p
            close.setdefault(p.b, {})[p.a] = p
    kept: list[TagQuality] = []
    # best first: a tag stays unless it nearly duplicates a tag already kept
    for t in sorted(tags, key=lambda t: (-_rank(t)[0], -_rank(t)[1], t.name)):
        if t.name in out:
            continue
        twins = [(close[t.name][k.name], k) for k in kept if k.name in close.get(t.name, {})]
        if not twins:
            kept.append(t)
            continue
        p, keep = max(twins, key=lambda pk: abs(pk[0].value))
        sym = "ρ" if p.measure == "spearman" else "V"
        both_iv = (f", IV {keep.max_iv:.3f} vs {t.max_iv:.3f}" if keep.max_iv is not None
                   and t.max_iv is not None else "")
        out[t.name] = Prune(
            t.name, "duplicate",
            f"near-duplicate of {keep.name} ({sym} = {p.value:.3f}); keep {keep.name} "
            f"(coverage {keep.coverage:.1%} vs {t.coverage:.1%}{both_iv})",
            keep=keep.name,
            numbers={p.measure: p.value, "coverage": t.coverage, "keep_coverage": keep.coverage,
                     "iv": t.max_iv, "keep_iv": keep.max_iv})
    order = {t.name: i for i, t in enumerate(tags)}
    return sorted(out.values(), key=lambda p: order[p.tag])
