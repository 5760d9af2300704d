"""Holm's step-down adjustment against hand-computed values and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from portrait.campaign.stats import holm


def test_holm_by_hand() -> None:
    # sorted: 0.01 (×3 = 0.03), 0.02 (×2 = 0.04), 0.04 (×1 = 0.04): given back in input order
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    # monotone: the second adjusted value may not fall below the first (0.09 → 0.09, not 0.06)
    assert holm([0.03, 0.03]) == pytest.approx([0.06, 0.06])
    assert holm([0.03, 0.06]) == pytest.approx([0.06, 0.06])
    assert holm([0.5, 0.9, 0.7]) == pytest.approx([1.0, 1.0, 1.0])  # capped at 1
    assert holm([0.2]) == [0.2]
    assert holm([]) == []


def test_missing_p_values_are_left_out_of_the_family() -> None:
    assert holm([None, 0.01, 0.04]) == [None, pytest.approx(0.02), pytest.approx(0.04)]
    with pytest.raises(ValueError, match="between 0 and 1"):
        holm([0.1, 1.5])
    with pytest.raises(ValueError, match="between 0 and 1"):
        holm([float("nan")])


@settings(max_examples=40, deadline=None)  # statsmodels takes ~40 ms a call here
@given(st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=1, max_size=12))
def test_holm_matches_statsmodels(p: list[float]) -> None:
    expected = multipletests(np.array(p), method="holm")[1]
    assert holm(p) == pytest.approx(list(expected), abs=1e-12)


def test_holm_matches_statsmodels_with_ties_and_zeros() -> None:
    p = [0.0, 0.05, 0.05, 0.001, 1.0, 0.049, 0.0]
    assert holm(p) == pytest.approx(list(multipletests(p, method="holm")[1]), abs=1e-15)
