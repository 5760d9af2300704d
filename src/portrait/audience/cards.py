"""Segment cards: what sets each segment apart from the whole book, and a readable name.

For a categorical, ordinal or boolean tag, each value's share in the segment is compared
with its share in the book: ``lift = segment share / book share``. A value distinguishes
the segment when its lift is at least 1.3 and it holds for at least 10 % of the
segment (and 10 customers). For a numeric tag, the segment's mean is compared with the
book's in book standard deviations (``z``, on the signed-log scale for heavy-tailed
tags) and shown as the ratio of medians; it distinguishes when ``|z| ≥ 0.5`` and the
tag has a value for at least half the segment.

Values and numbers are ranked together by effect size — Cohen's h for a share, ``|z|``
for a number — and the top five are kept, one per underlying quantity (``aum`` and its
band ``aum_band`` do not both appear). The name is made of the words of the first
distinguishing items (:mod:`portrait.audience.segment_words`), one per theme, three at
most; names are made unique across segments.

Cards never describe a segment by gender, by restricted tags or by consent and contact
tags.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from portrait.audience import segment_words
from portrait.audience.segments import CONTACT, CONTACT_PREFIXES, CONTACT_SUFFIXES, SEGMENT_TAG, heavy_tailed
from portrait.tags.spec import TagSpec

MIN_LIFT = 1.3
MIN_SUPPORT = 0.10
MIN_COUNT = 10
MIN_Z = 0.5
MIN_NUMERIC_COVERAGE = 0.5
MAX_ITEMS = 5
NAME_WORDS = 3
NAME_POOL = 10
HOLDINGS_TAG = "product_categories_held"
CATEGORY_TITLES: dict[str, tuple[str, str]] = {
    "deposit": ("活期存款", "deposits"), "time_deposit": ("定期存款", "time deposits"),
    "wealth": ("理财", "wealth products"), "fund": ("基金", "funds"), "bond": ("债券", "bonds"),
    "insurance": ("保险", "insurance"), "loan": ("贷款", "loans"), "mortgage": ("房贷", "mortgages"),
    "credit_card": ("信用卡", "credit cards"), "debit_card": ("借记卡", "debit cards"),
    "payment_service": ("支付服务", "payment services"), "pension": ("养老金", "pensions"),
    "investment": ("投资类产品", "investment products"),
}
_UNDESCRIBED = ("gender",)


def describable(specs: Mapping[str, TagSpec], available: Sequence[str],
                uncovered: Sequence[str]) -> list[str]:
    """Tags a card may describe a segment by (see the module doc)."""
    out = []
    for name in available:
        spec = specs.get(name)
        if (spec is None or name in uncovered or name == SEGMENT_TAG or spec.type == "set"
                or spec.model is not None or spec.sensitivity == "restricted"
                or name in _UNDESCRIBED or name in CONTACT or name.startswith(CONTACT_PREFIXES)
                or name.endswith(CONTACT_SUFFIXES)):
            continue
        out.append(name)
    return out


def _text(values: pd.Series, spec: TagSpec) -> pd.Series:
    if spec.type == "boolean":
        return values.map(lambda v: None if v is None or v is pd.NA or (
            isinstance(v, float) and math.isnan(v)) else ("true" if v else "false"))
    return values.astype("string")


def _value_items(tag: str, spec: TagSpec, values: pd.Series, labels: pd.Series
                 ) -> dict[str, list[dict[str, Any]]]:
    text = _text(values, spec)
    book = text.value_counts(dropna=True) / len(text)
    counts = pd.crosstab(labels, text)
    sizes = labels.value_counts()
    items: dict[str, list[dict[str, Any]]] = {}
    for segment in counts.index:
        size = int(sizes[segment])
        for value, n in counts.loc[segment].items():
            p, q = int(n) / size, float(book[value])
            if q == 0 or int(n) < MIN_COUNT or p < MIN_SUPPORT or p / q < MIN_LIFT:
                continue
            effect = 2 * math.asin(math.sqrt(p)) - 2 * math.asin(math.sqrt(q))
            items.setdefault(str(segment), []).append({
                "tag": tag, "kind": "value", "value": str(value),
                "segment_share": round(p, 4), "book_share": round(q, 4),
                "lift": round(p / q, 3), "effect": round(effect, 4)})
    return items


def _median(x: np.ndarray) -> float | None:
    x = x[~np.isnan(x)]
    return float(np.median(x)) if x.size else None


def _numeric_items(tag: str, values: pd.Series, labels: pd.Series
                   ) -> dict[str, list[dict[str, Any]]]:
    raw = np.asarray(pd.to_numeric(values, errors="coerce"), dtype=float)
    scaled = np.sign(raw) * np.log1p(np.abs(raw)) if heavy_tailed(raw) else raw
    std = float(np.nanstd(scaled)) if (~np.isnan(scaled)).any() else 0.0
    if std == 0:
        return {}
    mean, book_median = float(np.nanmean(scaled)), _median(raw)
    items: dict[str, list[dict[str, Any]]] = {}
    lab = labels.to_numpy()
    for segment in sorted(set(lab.tolist())):
        mask = lab == segment
        part = scaled[mask]
        if np.isnan(part).mean() > 1 - MIN_NUMERIC_COVERAGE:
            continue
        z = (float(np.nanmean(part)) - mean) / std
        if abs(z) < MIN_Z:
            continue
        seg_median = _median(raw[mask])
        ratio = (round(seg_median / book_median, 3)
                 if seg_median is not None and book_median else None)
        items.setdefault(str(segment), []).append({
            "tag": tag, "kind": "numeric", "direction": "high" if z > 0 else "low",
            "segment_median": seg_median, "book_median": book_median, "ratio": ratio,
            "z": round(z, 3), "effect": round(abs(z), 4)})
    return items


def _root(spec: TagSpec) -> str:
    return spec.bins.tag if spec.bins else spec.rank.tag if spec.rank else spec.name


def distinguishing(frame: pd.DataFrame, labels: Sequence[str], specs: Mapping[str, TagSpec],
                   tags: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Per segment, its distinguishing values and numbers, strongest first."""
    lab = pd.Series(list(labels), index=frame.index, name="segment")
    found: dict[str, list[dict[str, Any]]] = {}
    for tag in tags:
        spec = specs[tag]
        per = (_numeric_items(tag, frame[tag], lab) if spec.type == "numeric"
               else _value_items(tag, spec, frame[tag], lab))
        for segment, items in per.items():
            for item in items:
                item["title"] = {"en": spec.title.en, "zh": spec.title.zh}
            found.setdefault(segment, []).extend(items)
    out: dict[str, list[dict[str, Any]]] = {}
    for segment in sorted(set(lab.tolist()), key=_segment_order):
        ranked = sorted(found.get(segment, []), key=lambda i: (-i["effect"], i["tag"]))
        kept: list[dict[str, Any]] = []
        roots: set[str] = set()
        for item in ranked:
            root = _root(specs[item["tag"]])
            if root in roots:
                continue
            roots.add(root)
            kept.append(item)
        out[segment] = kept
    return out


def _segment_order(segment: str) -> tuple[int, str]:
    digits = segment.lstrip("S")
    return (int(digits), segment) if digits.isdigit() else (10**9, segment)


def holding_rates(frame: pd.DataFrame, labels: Sequence[str], specs: Mapping[str, TagSpec],
                  uncovered: Sequence[str]) -> tuple[str | None, dict[str, list[dict[str, Any]]]]:
    """Per segment, the share holding each product category, against the book.

    Categories come from the set tag ``product_categories_held`` or, when it is not
    covered, from the ``holds_*`` booleans. Returns the source ("set" or "boolean", None
    when neither exists) and the rates.
    """
    held: dict[str, np.ndarray] = {}
    source: str | None = None
    if HOLDINGS_TAG in frame.columns and HOLDINGS_TAG not in uncovered:
        source = "set"
        lists = frame[HOLDINGS_TAG].map(lambda v: set() if v is None or not hasattr(v, "__iter__")
                                        else {str(x) for x in v})
        seen = set().union(*lists.tolist()) if len(lists) else set()
        declared = list(specs[HOLDINGS_TAG].values or []) if HOLDINGS_TAG in specs else []
        for category in declared + sorted(seen - set(declared)):
            if category in seen:
                held[category] = np.asarray(lists.map(lambda s, c=category: c in s), dtype=bool)
    else:
        for tag in frame.columns:
            if tag.startswith("holds_") and tag not in uncovered and tag in specs:
                source = "boolean"
                held[tag.removeprefix("holds_")] = np.asarray(
                    frame[tag].map(lambda v: bool(v) if isinstance(v, bool | np.bool_) else False),
                    dtype=bool)
    lab = np.asarray(list(labels))
    rates: dict[str, list[dict[str, Any]]] = {}
    for segment in sorted(set(lab.tolist()), key=_segment_order):
        mask = lab == segment
        rows = []
        for category, flags in held.items():
            book, holders = float(flags.mean()), int(flags[mask].sum())
            rate = holders / int(mask.sum())
            zh, en = CATEGORY_TITLES.get(category, (category, category.replace("_", " ")))
            rows.append({"category": category, "title": {"zh": zh, "en": en},
                         "holders": holders, "segment_rate": round(rate, 4),
                         "book_rate": round(book, 4),
                         "lift": round(rate / book, 3) if book else None})
        rates[segment] = rows
    return source, rates


def _fallback(item: dict[str, Any], spec: TagSpec) -> tuple[str, str, str]:
    """(theme, zh, en) from the tag's title and value, for a value the vocabulary lacks."""
    key = item["direction"] if item["kind"] == "numeric" else item["value"]
    title = spec.title
    if item["kind"] == "numeric":
        high = key == "high"
        return (item["tag"], f"{title.zh}{'高' if high else '低'}",
                f"{'high' if high else 'low'} {title.en.lower()}")
    if spec.type == "boolean":
        yes = key == "true"
        return (item["tag"], title.zh if yes else f"非{title.zh}",
                title.en.lower() if yes else f"not {title.en.lower()}")
    return (item["tag"], f"{title.zh}:{key}", f"{title.en.lower()}: {key.replace('_', ' ')}")


def candidate_words(items: Sequence[dict[str, Any]], specs: Mapping[str, TagSpec]
                    ) -> list[tuple[str, str]]:
    """(zh, en) words for a segment's name, best first, one per theme.

    Words of the vocabulary come first (among the strongest ``NAME_POOL`` items); tag
    titles with their values fill in when the vocabulary has fewer than two words.
    """
    chosen: list[tuple[int, str, str]] = []
    fallback: list[tuple[int, str, str, str]] = []
    themes: set[str] = set()
    pool = [i for i in items if i["tag"] not in segment_words.UNNAMED][:NAME_POOL]
    for rank, item in enumerate(pool):
        key = item["direction"] if item["kind"] == "numeric" else item["value"]
        found = segment_words.word(item["tag"], key)
        if found is None:
            fallback.append((rank, *_fallback(item, specs[item["tag"]])))
        elif found[0] not in themes and all(found[2] != c[2] for c in chosen):
            themes.add(found[0])
            chosen.append((rank, found[1], found[2]))
    for rank, theme, zh, en in fallback:
        if len(chosen) >= 2:
            break
        if theme not in themes:
            themes.add(theme)
            chosen.append((rank, zh, en))
    return [(zh, en) for _, zh, en in sorted(chosen)]


def unique_names(words: Mapping[str, list[tuple[str, str]]]) -> dict[str, dict[str, str]]:
    """A name per segment from its first words; a clash takes one more word, then the id."""
    def make(segment: str, n: int) -> dict[str, str]:
        chosen = words[segment][:n] or [("普通客群", "typical customers")]
        return {"zh": "·".join(z for z, _ in chosen), "en": ", ".join(e for _, e in chosen)}

    names = {s: make(s, NAME_WORDS) for s in words}
    for extra in (NAME_WORDS + 1, None):
        clashes = [s for s in names
                   if sum(names[o]["en"] == names[s]["en"] or names[o]["zh"] == names[s]["zh"]
                          for o in names) > 1]
        for s in clashes:
            if extra is not None:
                names[s] = make(s, extra)
            else:
                names[s] = {"zh": f"{names[s]['zh']}（{s}）", "en": f"{names[s]['en']} ({s})"}
    return names


def build_cards(frame: pd.DataFrame, labels: Sequence[str], specs: Mapping[str, TagSpec],
                uncovered: Sequence[str]) -> list[dict[str, Any]]:
    """One card per segment: size, share, distinguishing tags, holdings, name (zh and en).

    Args:
        frame: The snapshot, one row per customer.
        labels: Each row's segment.
        specs: Catalog specs by tag name.
        uncovered: The snapshot's uncovered tags.
    """
    tags = describable(specs, [c for c in frame.columns if c != "customer_id"], uncovered)
    items = distinguishing(frame, labels, specs, tags)
    source, rates = holding_rates(frame, labels, specs, uncovered)
    words = {s: candidate_words(found, specs) for s, found in items.items()}
    names = unique_names(words)
    sizes = pd.Series(list(labels)).value_counts()
    total = len(labels)
    return [{"segment": s, "size": int(sizes[s]), "share": round(int(sizes[s]) / total, 4),
             "name": names[s], "distinguishing": found[:MAX_ITEMS],
             "holdings": rates.get(s, []), "holdings_source": source}
            for s, found in items.items()]
