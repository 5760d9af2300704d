"""Fairness audit of a score: who lands in the top of the ranking, by protected attribute.

For each attribute (gender, generation, …) and each of its groups we report the
selection rate (share of the group in the top ``top_share`` by score) and the true-positive
rate (share of the group's actual positives that the top catches), each divided by the
best group's. A ratio below ``threshold`` (the four-fifths rule, 0.8) flags the group.
Groups smaller than :data:`MIN_GROUP` are reported and marked ``small`` but never flagged,
and are not eligible as the "best" group: their rates are too noisy to judge others by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from portrait.errors import UsageError
from portrait.models.metrics import top_share_mask

MIN_GROUP = 30
MISSING = "(missing)"


def _group_key(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return MISSING
    return str(value)


def _ratio(value: float | None, best: float | None) -> float | None:
    if value is None or best is None or best == 0:
        return None
    return value / best


def _attribute(keys: list[str], selected: np.ndarray, y: np.ndarray,
               threshold: float) -> dict[str, Any]:
    arr = np.asarray(keys, dtype=object)
    rows: list[dict[str, Any]] = []
    for group in sorted(set(keys)):
        member = arr == group
        n = int(member.sum())
        positives = int(y[member].sum())
        chosen = int(selected[member].sum())
        hits = int((selected & member & (y == 1)).sum())
        rows.append({
            "group": group, "n": n, "positives": positives, "selected": chosen,
            "selection_rate": chosen / n,
            "tpr": hits / positives if positives else None,
            "small": n < MIN_GROUP,
        })
    if not rows:
        return {"groups": [], "flagged": []}
    judged = [r for r in rows if not r["small"]] or rows
    best_sel = max(r["selection_rate"] for r in judged)
    tprs = [r["tpr"] for r in judged if r["tpr"] is not None]
    best_tpr = max(tprs) if tprs else None
    for r in rows:
        r["selection_ratio"] = _ratio(r["selection_rate"], best_sel)
        r["tpr_ratio"] = _ratio(r["tpr"], best_tpr)
        low = [k for k in ("selection_ratio", "tpr_ratio")
               if r[k] is not None and r[k] < threshold]
        r["flagged"] = bool(low) and not r["small"]
        r["reasons"] = low if r["flagged"] else []
    return {"groups": rows, "flagged": [r["group"] for r in rows if r["flagged"]]}


def audit(score: Sequence[float] | np.ndarray, y_true: Sequence[int] | np.ndarray,
          groups: Mapping[str, Sequence[object]], *, top_share: float = 0.1,
          threshold: float = 0.8) -> dict[str, Any]:
    """Audit a score by protected attributes.

    Args:
        score: one score per person; higher is selected first.
        y_true: the outcome, 0/1 (or bool), aligned with ``score``.
        groups: attribute name → one group value per person (None/NaN → "(missing)").
        top_share: the share selected from the top of the ranking (0.1 = top decile).
        threshold: a ratio to the best group below this flags the group.

    Returns:
        ``{"top_share", "threshold", "min_group", "n", "attributes": {name: {"groups": [...],
        "flagged": [...]}}, "flagged": bool}``; each group row has ``group, n, positives,
        selected, selection_rate, tpr, selection_ratio, tpr_ratio, small, flagged, reasons``
        (``tpr`` and ratios are None where undefined, e.g. a group with no positives).

    Raises:
        UsageError: lengths differ, or ``top_share``/``threshold`` are out of (0, 1].
    """
    s = np.asarray(score, dtype=float)
    y = np.asarray(y_true).astype(np.int64)
    if len(s) != len(y):
        raise UsageError(f"Fairness audit: {len(s)} scores but {len(y)} outcomes.")
    if not 0 < top_share <= 1 or not 0 < threshold <= 1:
        raise UsageError(f"Fairness audit: top_share ({top_share}) and threshold ({threshold}) "
                         "must be in (0, 1].")
    selected = top_share_mask(s, top_share)
    attributes: dict[str, Any] = {}
    for name, values in groups.items():
        keys = [_group_key(v) for v in values]
        if len(keys) != len(s):
            raise UsageError(f"Fairness audit: attribute {name!r} has {len(keys)} values for "
                             f"{len(s)} scores.")
        attributes[name] = _attribute(keys, selected, y, threshold)
    return {
        "top_share": top_share, "threshold": threshold, "min_group": MIN_GROUP, "n": len(s),
        "attributes": attributes,
        "flagged": any(a["flagged"] for a in attributes.values()),
    }
