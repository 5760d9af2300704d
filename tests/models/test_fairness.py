"""Fairness audit on a hand-made population with one disadvantaged group."""

from __future__ import annotations

import numpy as np
import pytest

from portrait.errors import UsageError
from portrait.models.fairness import audit


def _population() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A: 50 people, B: 50, C: 10. The top 11 scores: 8 from A, 2 from B, 1 from C.

    A and B have 10 positives each; every selected A or B person is a positive.
    """
    group = ["A"] * 50 + ["B"] * 50 + ["C"] * 10
    y = np.zeros(110, dtype=int)
    y[0:10] = 1          # A's positives
    y[50:60] = 1         # B's positives
    score = np.zeros(110)
    score[0:8] = 1.0     # 8 of A's positives on top
    score[50:52] = 0.9   # 2 of B's positives
    score[100] = 0.8     # 1 person of C
    return score, y, group


def test_flags_the_group_that_is_rarely_selected() -> None:
    score, y, group = _population()
    rep = audit(score, y, {"gender": group})
    rows = {r["group"]: r for r in rep["attributes"]["gender"]["groups"]}
    a, b, c = rows["A"], rows["B"], rows["C"]
    assert (a["n"], a["selected"], a["positives"]) == (50, 8, 10)
    assert a["selection_rate"] == pytest.approx(0.16) and a["tpr"] == pytest.approx(0.8)
    assert b["selection_rate"] == pytest.approx(0.04) and b["tpr"] == pytest.approx(0.2)
    assert b["selection_ratio"] == pytest.approx(0.25) and b["tpr_ratio"] == pytest.approx(0.25)
    assert b["flagged"] and b["reasons"] == ["selection_ratio", "tpr_ratio"]
    assert a["selection_ratio"] == 1.0 and not a["flagged"]
    # C is small: reported, its ratio below 0.8, yet not flagged; no positives → no TPR
    assert c["small"] and c["selection_ratio"] == pytest.approx(0.625) and not c["flagged"]
    assert c["tpr"] is None and c["tpr_ratio"] is None
    assert rep["attributes"]["gender"]["flagged"] == ["B"]
    assert rep["flagged"] is True


def test_missing_values_form_their_own_group_and_balanced_groups_pass() -> None:
    score = np.arange(80, dtype=float)
    y = (np.arange(80) % 2).astype(int)
    gen = [None if i % 2 else "x" for i in range(80)]
    rep = audit(score, y, {"generation": gen}, top_share=0.5)
    names = [r["group"] for r in rep["attributes"]["generation"]["groups"]]
    assert names == ["(missing)", "x"]
    assert rep["flagged"] is False


def test_length_mismatch_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="gender"):
        audit([0.1, 0.2], [0, 1], {"gender": ["F"]})
