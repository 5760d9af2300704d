"""Campaign statistics against hand-computed values and against scipy / statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from portrait.campaign import stats


def test_wilson_interval_by_hand() -> None:
    # 10/100: centre = (0.1 + z²/200) / (1 + z²/100), half = z·sqrt(0.09/100 + z²/40000) / (1 + z²/100)
    z = 1.959963984540054
    denom = 1 + z * z / 100
    centre = (0.1 + z * z / 200) / denom
    half = z * math.sqrt(0.0009 + z * z / 40000) / denom
    lo, hi = stats.wilson_interval(10, 100)
    assert lo == pytest.approx(centre - half, abs=1e-12)
    assert hi == pytest.approx(centre + half, abs=1e-12)
    assert (lo, hi) == pytest.approx((0.05523, 0.17437), abs=1e-5)


def test_two_proportions_by_hand() -> None:
    # 60/1000 vs 40/1000: pooled 0.05, se = sqrt(0.05·0.95·0.002) = 0.0097468, z = 2.05196
    cmp = stats.compare_proportions(60, 1000, 40, 1000)
    assert cmp.diff == pytest.approx(0.02)
    assert cmp.p_value == pytest.approx(2 * sps.norm.sf(0.02 / math.sqrt(0.05 * 0.95 * 0.002)))
    assert cmp.p_value == pytest.approx(0.040174, abs=1e-6)
    assert cmp.relative_lift == pytest.approx(0.5)
    # Katz: se(log RR) = sqrt(1/60 − 1/1000 + 1/40 − 1/1000)
    se = math.sqrt(1 / 60 - 1 / 1000 + 1 / 40 - 1 / 1000)
    assert cmp.relative_lift_ci95 == pytest.approx(
        (1.5 * math.exp(-1.959964 * se) - 1, 1.5 * math.exp(1.959964 * se) - 1), abs=1e-6)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [
    (60, 1000, 40, 1000), (3, 50, 0, 40), (120, 2700, 8, 300), (500, 500, 499, 500), (0, 30, 0, 30),
])
def test_proportions_match_statsmodels(x1: int, n1: int, x2: int, n2: int) -> None:
    cmp = stats.compare_proportions(x1, n1, x2, n2)
    lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert cmp.ci95 == pytest.approx((lo, hi), abs=1e-10)
    if 0 < x1 + x2 < n1 + n2:
        _, p = proportions_ztest([x1, x2], [n1, n2])
        assert cmp.p_value == pytest.approx(p, rel=1e-9)
        chi2 = sps.chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
        assert cmp.p_value == pytest.approx(chi2.pvalue, rel=1e-9)
    else:
        assert cmp.p_value == 1.0
    if x1 and x2:
        rlo, rhi = confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio")
        assert cmp.relative_lift_ci95 == pytest.approx((rlo - 1, rhi - 1), abs=1e-10)
    if x2 == 0:
        assert cmp.relative_lift is None


def test_means_match_scipy_welch() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(10, 3, 50), rng.normal(9, 5, 80)
    cmp = stats.compare_means(a, b)
    ref = sps.ttest_ind(a, b, equal_var=False)
    assert cmp.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    ci = ref.confidence_interval(0.95)
    assert cmp.ci95 == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert cmp.diff == pytest.approx(a.mean() - b.mean())


def test_means_by_hand() -> None:
    # [1,2,3] vs [1,1,1,1]: d = 1, se² = 1/3 + 0, df = (1/3)² / ((1/3)²/2) = 2
    cmp = stats.compare_means([1, 2, 3], [1, 1, 1, 1])
    assert cmp.diff == 1.0
    t_crit = sps.t.ppf(0.975, 2)
    assert cmp.ci95 == pytest.approx((1 - t_crit / math.sqrt(3), 1 + t_crit / math.sqrt(3)))
    assert cmp.p_value == pytest.approx(2 * sps.t.sf(math.sqrt(3), 2))
    assert cmp.relative_lift == pytest.approx(1.0)


def test_degenerate_and_invalid_inputs() -> None:
    same = stats.compare_means([2, 2], [2, 2])
    assert same.ci95 == (0.0, 0.0) and same.p_value == 1.0
    with pytest.raises(ValueError, match="at least two"):
        stats.compare_means([1], [1, 2])
    with pytest.raises(ValueError, match="at least one unit"):
        stats.compare_proportions(0, 0, 1, 10)
    assert stats.compare([0, 1, 1], [0, 0, 1]).method.startswith("Newcombe")
    assert stats.compare([0.5, 1, 1], [0, 0, 1]).method.startswith("Welch")
