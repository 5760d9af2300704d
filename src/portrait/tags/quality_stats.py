"""The statistics behind tag quality, on numpy arrays: binning, PSI, WoE/IV, Cramér's V,
Spearman's ρ.

Columns arrive *encoded*: an integer array of bin codes where ``0`` means "no value"
(NULL, or an empty set) and ``1 … k`` are the bins, with a list of ``k`` labels. Numeric
columns are also kept as float arrays (``NaN`` = no value) for quantiles and ranks.
Everything here is pure and vectorised (``bincount``, ``searchsorted``, matrix products)
so that a million customers take milliseconds per tag.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int64]

#: Share given to an empty bin in PSI, so that ln(a/e) stays finite.
PSI_EPSILON = 1e-4
#: PSI above which a tag is unstable; between the two, moderately shifted.
PSI_UNSTABLE = 0.25
PSI_MODERATE = 0.1
#: Pseudo-count added to each bin's events and non-events (Laplace smoothing).
WOE_ALPHA = 1.0
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
NULL_LABEL = "(null)"
OTHER_LABEL = "(other)"


@dataclass(frozen=True)
class Encoded:
    """A column as bin codes (``0`` = no value) and the label of each bin ``1 … k``."""

    codes: Codes
    labels: list[str]

    @property
    def bins(self) -> int:
        return len(self.labels)


def fmt_number(value: float) -> str:
    """A compact label for a bin edge: ``12``, ``0.35``, ``29,583``."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == int(value):
        return str(int(value))
    return f"{value:.4g}"


def sorted_quantiles(ordered: Floats, levels: Sequence[float] | Floats) -> Floats:
    """Quantiles of already sorted values, interpolated linearly (numpy's default method)."""
    pos = np.asarray(levels, dtype=np.float64) * (ordered.size - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, ordered.size - 1)
    frac = pos - lo
    return np.asarray(ordered[lo] + frac * (ordered[hi] - ordered[lo]), dtype=np.float64)


def quantile_edges(values: Floats, n_bins: int = 10, *, presorted: bool = False) -> Floats:
    """Distinct inner edges of ``n_bins`` quantile bins of the non-NaN ``values``.

    Args:
        values: The column (NaN = no value), or its values sorted when ``presorted``.
        n_bins: Number of quantile bins (10 = deciles).
        presorted: ``values`` holds no NaN and is sorted ascending.
    """
    ordered = values if presorted else np.sort(values[~np.isnan(values)])
    if ordered.size == 0:
        return np.empty(0)
    return np.unique(sorted_quantiles(ordered, np.arange(1, n_bins) / n_bins))


def bin_numeric(values: Floats, edges: Floats) -> Encoded:
    """Bins ``(-inf, e1), [e1, e2), …, [ek, inf)`` as codes ``1 … k+1``; NaN → ``0``.

    Bins that no value falls into are kept, so that two columns binned on the same edges
    share their codes (PSI compares an old and a new snapshot this way).
    """
    codes = np.ones(values.shape, dtype=np.int64)
    for edge in edges:  # k comparisons beat a binary search for the ≤ 9 edges used here
        codes += values >= edge
    codes[np.isnan(values)] = 0
    shown = [fmt_number(float(e)) for e in edges]
    if not shown:
        labels = ["all"]
    else:
        labels = [f"< {shown[0]}", *(f"[{lo}, {hi})" for lo, hi in itertools.pairwise(shown)),
                  f"≥ {shown[-1]}"]
    return Encoded(codes, labels)


def encode_categories(indices: Codes, present: npt.NDArray[np.bool_], dictionary: list[str],
                      top: int = 20) -> tuple[Encoded, npt.NDArray[np.int64]]:
    """Codes for a categorical column given as dictionary indices.

    The ``top`` most frequent values get their own bins (most frequent first); the rest
    are pooled into one ``(other)`` bin.

    Args:
        indices: Index into ``dictionary`` per row (any value where ``present`` is false).
        present: Whether the row has a value.
        dictionary: The distinct values.
        top: How many values keep their own bin.

    Returns:
        The encoded column and the count of every dictionary value.
    """
    counts = np.bincount(indices[present], minlength=len(dictionary)).astype(np.int64)
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] > 0]
    kept = order[:top]
    remap = np.full(len(dictionary) + 1, len(kept) + 1, dtype=np.int64)
    remap[kept] = np.arange(1, len(kept) + 1)
    codes = remap[np.where(present, indices, len(dictionary))]
    codes[~present] = 0
    labels = [dictionary[i] for i in kept]
    if len(order) > top:
        labels.append(OTHER_LABEL)
    return Encoded(codes, labels), counts


def counts_with_null(enc: Encoded) -> npt.NDArray[np.int64]:
    """Rows per code ``0 … k`` (the null bin first)."""
    return np.bincount(enc.codes, minlength=enc.bins + 1).astype(np.int64)


def psi(expected: npt.ArrayLike, actual: npt.ArrayLike, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over shared bins.

    Args:
        expected: Counts (or shares) per bin in the older population.
        actual: Counts (or shares) per bin in the newer one, same bins.
        epsilon: Share that replaces an empty bin's 0.

    Returns:
        The PSI (0 for identical distributions); NaN when either side is empty.
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if e.sum() <= 0 or a.sum() <= 0:
        return math.nan
    e = np.maximum(e / e.sum(), epsilon)
    a = np.maximum(a / a.sum(), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_flag(value: float | None) -> str | None:
    """``unstable`` (> 0.25), ``moderate`` (0.1 – 0.25) or ``stable``."""
    if value is None or math.isnan(value):
        return None
    if value > PSI_UNSTABLE:
        return "unstable"
    return "moderate" if value >= PSI_MODERATE else "stable"


@dataclass(frozen=True)
class WoeTable:
    """Weight of evidence per bin and the information value of the binning."""

    rows: npt.NDArray[np.int64]
    events: npt.NDArray[np.int64]
    woe: Floats
    iv: float


def woe_iv(codes: Codes, labels: npt.NDArray[np.int8], n_codes: int,
           alpha: float = WOE_ALPHA) -> WoeTable:
    """WoE and IV of a binned tag for a binary outcome.

    ``WoEᵢ = ln(pᵢ / qᵢ)`` with ``pᵢ = (eventsᵢ + α) / (E + α·k)`` and
    ``qᵢ = (non-eventsᵢ + α) / (N + α·k)`` over the ``k`` non-empty bins (Laplace
    smoothing keeps a bin with no events finite); ``IV = Σ (pᵢ − qᵢ) · WoEᵢ``.

    Args:
        codes: Bin code per row, ``0 … n_codes - 1`` (the null bin included as a bin).
        labels: 1 = event, 0 = non-event, anything else = not in the population.
        n_codes: Number of codes.
        alpha: Pseudo-count per bin.
    """
    keep = (labels == 0) | (labels == 1)
    c = codes[keep]
    rows = np.bincount(c, minlength=n_codes).astype(np.int64)
    events = np.bincount(c, weights=labels[keep].astype(np.float64), minlength=n_codes).astype(np.int64)
    used = rows > 0
    k = int(used.sum())
    non = rows - events
    e_total, n_total = events.sum(), non.sum()
    p = (events + alpha) / (e_total + alpha * k)
    q = (non + alpha) / (n_total + alpha * k)
    woe = np.where(used, np.log(p / q), 0.0)
    iv = float(np.sum(np.where(used, (p - q) * woe, 0.0)))
    return WoeTable(rows, events, woe, iv)


def cramers_v(a: Codes, b: Codes, *, bias_corrected: bool = True) -> float:
    """Cramér's V between two encoded columns over rows where both have a value.

    With ``bias_corrected`` (Bergsma 2013): ``φ̃² = max(0, φ² − (k−1)(r−1)/(n−1))``,
    ``k̃ = k − (k−1)²/(n−1)``, ``r̃ = r − (r−1)²/(n−1)``, ``V = √(φ̃² / min(k̃−1, r̃−1))``;
    ``r`` and ``k`` count only the categories present on the common rows.

    Returns:
        V in [0, 1]; NaN when fewer than two rows or either side is constant there.
    """
    ka, kb = int(a.max(initial=0)) + 1, int(b.max(initial=0)) + 1
    full = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb)
    table = full[1:, 1:]  # code 0 = no value on either side
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0].astype(np.float64)
    n = float(table.sum())
    r, k = table.shape
    if n < 2 or r < 2 or k < 2:
        return math.nan
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    phi2 = chi2 / n
    if not bias_corrected:
        return float(min(1.0, math.sqrt(phi2 / (min(r, k) - 1))))
    phi2c = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    rc = r - (r - 1) ** 2 / (n - 1)
    kc = k - (k - 1) ** 2 / (n - 1)
    denom = min(kc - 1, rc - 1)
    if denom <= 0:
        return math.nan
    return float(min(1.0, math.sqrt(phi2c / denom)))


def average_ranks(values: Floats) -> Floats:
    """Ranks 1 … n with ties given their average rank; NaN stays NaN."""
    out = np.full(values.shape, np.nan)
    present = np.flatnonzero(~np.isnan(values))
    x = values[present]
    order = np.argsort(x, kind="mergesort")
    sx = x[order]
    starts = np.flatnonzero(np.r_[True, sx[1:] != sx[:-1]])
    ends = np.r_[starts[1:], sx.size]
    avg = (starts + ends + 1) / 2.0
    ranks = np.empty(sx.size)
    ranks[order] = np.repeat(avg, ends - starts)
    out[present] = ranks
    return out


def spearman(x: Floats, y: Floats) -> float:
    """Spearman's ρ over rows where both are set (ranks taken on those rows)."""
    both = ~np.isnan(x) & ~np.isnan(y)
    if both.sum() < 2:
        return math.nan
    rx, ry = average_ranks(x[both]), average_ranks(y[both])
    rx -= rx.mean()
    ry -= ry.mean()
    denom = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return float(rx @ ry / denom) if denom > 0 else math.nan


def spearman_matrix(columns: Floats) -> Floats:
    """Pairwise Spearman's ρ between the columns of an ``n × p`` array with NaN gaps.

    Each column is ranked once over its own values; a pair's ρ is the Pearson
    correlation of those ranks over the rows where both are set, from four matrix
    products. Where both columns are set on the same rows this is exactly Spearman's
    ρ; where their gaps differ it is a close approximation (ranks are not re-taken on
    the common rows).
    """
    n, p = columns.shape
    if p == 0:
        return np.empty((0, 0))
    mask = (~np.isnan(columns)).astype(np.float64)
    ranks = np.zeros((n, p))
    for j in range(p):
        r = average_ranks(columns[:, j])
        m = ~np.isnan(r)
        if m.any():
            ranks[m, j] = (r[m] - (m.sum() + 1) / 2.0) / m.sum()
    # einsum rather than BLAS: a multi-threaded gemm on these tall, thin arrays can stall
    # for seconds on a busy machine, while einsum's single loop stays near 0.2 s per product
    def gram(a: Floats, b: Floats) -> Floats:
        return np.asarray(np.einsum("ij,ik->jk", a, b), dtype=np.float64)

    count = gram(mask, mask)
    with np.errstate(invalid="ignore", divide="ignore"):
        sums = gram(ranks, mask)  # [i, j]: Σ rᵢ over rows where j is set
        squares = gram(ranks * ranks, mask)
        cross = gram(ranks, ranks)
        mean_i = sums / count
        mean_j = sums.T / count
        cov = cross / count - mean_i * mean_j
        var_i = squares / count - mean_i**2
        var_j = squares.T / count - mean_j**2
        rho = cov / np.sqrt(var_i * var_j)
    rho[(count < 2) | (var_i <= 1e-15) | (var_j <= 1e-15)] = np.nan
    return np.clip(rho, -1.0, 1.0)
