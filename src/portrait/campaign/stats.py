"""Treatment-versus-control statistics: differences, 95% intervals, p-values, relative lift.

Binary outcomes (conversion) use the Newcombe hybrid score interval for the difference
of two proportions (Wilson intervals of each proportion combined; good coverage at the
small rates campaigns see, where the Wald interval is too narrow) and the pooled
two-proportion z-test (identical to Pearson's chi-square without continuity correction).
Continuous outcomes (amounts) use Welch's t-test and its Welch–Satterthwaite interval.
Relative lift is ``treatment / control − 1`` with an interval from the log ratio (Katz
for proportions, the delta method for means); it is undefined when the control mean is 0.
When several arms are compared with one control, :func:`holm` adjusts their p-values
(Holm's step-down method) so that the chance of any false positive stays at 5%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

Z95 = float(sps.norm.ppf(0.975))
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Comparison:
    """One outcome of one arm against control.

    Attributes:
        n_treatment, n_control: Units compared.
        mean_treatment, mean_control: Rates (binary) or means (continuous).
        diff: ``mean_treatment − mean_control``.
        ci95: 95% interval of ``diff``.
        p_value: Two-sided p-value of no difference (None when it cannot be computed).
        relative_lift: ``mean_treatment / mean_control − 1`` (None when control is 0).
        relative_lift_ci95: 95% interval of the relative lift (None when undefined).
        method: How the interval and test were computed.
    """

    n_treatment: int
    n_control: int
    mean_treatment: float
    mean_control: float
    diff: float
    ci95: tuple[float, float]
    p_value: float | None
    relative_lift: float | None
    relative_lift_ci95: tuple[float, float] | None
    method: str

    def as_dict(self) -> dict[str, Any]:
        return {"n_treatment": self.n_treatment, "n_control": self.n_control,
                "mean_treatment": self.mean_treatment, "mean_control": self.mean_control,
                "diff": self.diff, "ci95": list(self.ci95), "p_value": self.p_value,
                "relative_lift": self.relative_lift,
                "relative_lift_ci95": (list(self.relative_lift_ci95)
                                       if self.relative_lift_ci95 is not None else None),
                "method": self.method}


def wilson_interval(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``x / n`` (no continuity correction)."""
    if n <= 0:
        raise ValueError("a proportion needs n > 0")
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval (his method 10) for ``x1/n1 − x2/n2``."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1)
    l2, u2 = wilson_interval(x2, n2)
    d = p1 - p2
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    d = x1 / n1 - x2 / n2
    if se == 0:
        return 1.0 if d == 0 else 0.0
    return float(2 * sps.norm.sf(abs(d / se)))


def _log_ratio_interval(ratio: float, se_log: float) -> tuple[float, float]:
    return (ratio * math.exp(-Z95 * se_log) - 1, ratio * math.exp(Z95 * se_log) - 1)


def compare_proportions(x1: int, n1: int, x2: int, n2: int) -> Comparison:
    """Compare the rate ``x1/n1`` of an arm with ``x2/n2`` of control.

    Raises:
        ValueError: An arm is empty or a count exceeds its arm.
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both arms need at least one unit")
    if not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        raise ValueError("successes must lie between 0 and the arm size")
    p1, p2 = x1 / n1, x2 / n2
    lift: float | None = None
    lift_ci: tuple[float, float] | None = None
    if x2 > 0:
        lift = p1 / p2 - 1
        if x1 > 0:
            se_log = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
            lift_ci = _log_ratio_interval(p1 / p2, se_log)
    return Comparison(n1, n2, p1, p2, p1 - p2, newcombe_interval(x1, n1, x2, n2),
                      two_proportion_p(x1, n1, x2, n2), lift, lift_ci,
                      "Newcombe hybrid score interval; pooled two-proportion z-test; "
                      "relative lift interval by log risk ratio (Katz)")


def compare_means(treated: npt.ArrayLike, control: npt.ArrayLike) -> Comparison:
    """Compare the mean of an arm with control by Welch's t-test.

    Raises:
        ValueError: An arm has fewer than two values or a value is not finite.
    """
    a = np.asarray(treated, dtype=np.float64)
    b = np.asarray(control, dtype=np.float64)
    if a.size < 2 or b.size < 2:
        raise ValueError("Welch's t-test needs at least two values per arm")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("values must be finite numbers")
    n1, n2 = int(a.size), int(b.size)
    m1, m2 = float(a.mean()), float(b.mean())
    v1, v2 = float(a.var(ddof=1)), float(b.var(ddof=1))
    d = m1 - m2
    se2 = v1 / n1 + v2 / n2
    p_value: float | None
    if se2 == 0:
        ci = (d, d)
        p_value = 1.0 if d == 0 else 0.0
    else:
        se = math.sqrt(se2)
        df = se2 * se2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
        t_crit = float(sps.t.ppf(0.975, df))
        ci = (d - t_crit * se, d + t_crit * se)
        p_value = float(2 * sps.t.sf(abs(d / se), df))
    lift: float | None = None
    lift_ci: tuple[float, float] | None = None
    if m2 != 0:
        lift = m1 / m2 - 1
        if m1 > 0 and m2 > 0:
            se_log = math.sqrt(v1 / (n1 * m1 * m1) + v2 / (n2 * m2 * m2))
            lift_ci = _log_ratio_interval(m1 / m2, se_log)
    return Comparison(n1, n2, m1, m2, d, ci, p_value, lift, lift_ci,
                      "Welch's t-test and Welch–Satterthwaite interval; relative lift "
                      "interval by the delta method on the log ratio of means")


def is_binary(values: npt.ArrayLike) -> bool:
    """True when every value is 0 or 1 (an outcome to compare as a proportion)."""
    arr = np.asarray(values, dtype=np.float64)
    return bool(np.isin(arr, (0.0, 1.0)).all())


def compare(treated: npt.ArrayLike, control: npt.ArrayLike, *, binary: bool | None = None) -> Comparison:
    """Compare two arms; proportions when both are 0/1 (or ``binary``), else means."""
    a = np.asarray(treated, dtype=np.float64)
    b = np.asarray(control, dtype=np.float64)
    if binary is None:
        binary = is_binary(a) and is_binary(b)
    if binary:
        return compare_proportions(int(a.sum()), int(a.size), int(b.sum()), int(b.size))
    return compare_means(a, b)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm step-down adjusted p-values of one family of tests, in the given order.

    With ``m`` p-values sorted ascending, the ``i``-th (from 1) becomes
    ``max_{j≤i} min(1, (m − j + 1)·p_(j))``: it controls the family-wise error rate at
    any level without assuming independence, and is never less powerful than Bonferroni.
    ``None`` (a test that could not be computed) stays ``None`` and is not counted in ``m``.

    Raises:
        ValueError: A p-value lies outside [0, 1] or is NaN.
    """
    known = [i for i, p in enumerate(p_values) if p is not None]
    p = np.array([p_values[i] for i in known], dtype=np.float64)
    if p.size and (np.isnan(p).any() or (p < 0).any() or (p > 1).any()):
        raise ValueError("p-values must lie between 0 and 1")
    order = np.argsort(p, kind="stable")
    m = p.size
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    out: list[float | None] = [None] * len(p_values)
    for k, i in enumerate(known):
        out[i] = float(adjusted[k])
    return out
