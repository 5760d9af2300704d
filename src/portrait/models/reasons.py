"""Readable reasons for a score: the tags that pushed it up most, in Chinese or English.

LightGBM's ``pred_contrib=True`` gives each customer's SHAP contribution per model column
(plus the expected value last). Columns are summed back to their tag (a set tag's member
columns count together), the largest positive contributions are kept, and each is written
with the tag's title and the customer's value: "liquid assets: high" / "流动资产：高".
Numeric values are called high or low relative to the book (the training data's 67th and
33rd percentiles), so a reason reads the same way a relationship manager would say it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from portrait.models.features import FeatureSpec

WORDS: dict[str, dict[str, str]] = {
    "en": {"high": "high", "low": "low", "mid": "typical", "yes": "yes", "no": "no",
           "unknown": "unknown", "sep": ": ", "list": ", "},
    "zh": {"high": "高", "low": "低", "mid": "中等", "yes": "是", "no": "否",
           "unknown": "未知", "sep": "：", "list": "、"},
}
LANGS = tuple(WORDS)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and np.isnan(value)


def describe(spec: FeatureSpec, value: Any, lang: str) -> str:
    """The customer's value of a tag in words (without the title)."""
    w = WORDS[lang]
    if spec.type == "set":
        held = [m for m in spec.levels if not _missing(value) and m in set(value)]
        return w["list"].join(held) if held else w["no"]
    if _missing(value):
        return w["unknown"]
    if spec.type == "boolean":
        return w["yes"] if bool(value) else w["no"]
    if spec.type == "numeric":
        v = float(value)
        if spec.high is not None and v > spec.high:
            return w["high"]
        if spec.low is not None and v <= spec.low:
            return w["low"]
        return w["mid"]
    return str(value)


def reasons(contrib: np.ndarray, raw: pd.DataFrame, specs: Sequence[FeatureSpec],
            titles: Mapping[str, Mapping[str, str]], lang: str = "en",
            top: int = 3) -> list[list[dict[str, Any]]]:
    """Top ``top`` reasons per row.

    Args:
        contrib: SHAP contributions, one row per customer, one column per model column
            (in the order of ``specs``) plus the expected value last.
        raw: The snapshot rows (tag values), aligned with ``contrib``.
        specs: The model's feature encodings.
        titles: Tag → {"en": …, "zh": …}.
        lang: ``en`` or ``zh``.

    Returns:
        Per row, a list of ``{"tag", "text", "value", "contribution"}``, strongest first;
        only tags that raised the score are listed.
    """
    lang = lang if lang in WORDS else "en"
    spans: list[tuple[FeatureSpec, int, int]] = []
    start = 0
    for spec in specs:
        spans.append((spec, start, start + len(spec.columns)))
        start += len(spec.columns)
    by_tag = np.column_stack([contrib[:, a:b].sum(axis=1) for _, a, b in spans]) \
        if spans else np.zeros((len(contrib), 0))
    out: list[list[dict[str, Any]]] = []
    sep = WORDS[lang]["sep"]
    values = {s.tag: raw[s.tag].tolist() for s in specs if s.tag in raw.columns}
    for i in range(len(contrib)):
        row = by_tag[i]
        order = [j for j in np.argsort(-row, kind="stable")[:top] if row[j] > 0]
        items = []
        for j in order:
            spec = spans[j][0]
            value = values[spec.tag][i] if spec.tag in values else None
            title = titles.get(spec.tag, {}).get(lang) or spec.tag
            words = describe(spec, value, lang)
            items.append({"tag": spec.tag, "text": f"{title}{sep}{words}",
                          "value": _plain(value), "contribution": round(float(row[j]), 4)})
        out.append(items)
    return out


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a tag value."""
    if _missing(value):
        return None
    if isinstance(value, np.ndarray | list | tuple):
        return [str(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
