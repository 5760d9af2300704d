"""Vectorized random draws shared by every part of the generator.

Each part of a chunk draws from its own named random stream (:func:`stream`), so the
data one part produces does not shift when another part changes how many numbers it
draws, and the same seed always gives the same bank.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Stream numbers: one per part of the generator (values are arbitrary but fixed).
WORLD, POPULATION, IDENTITY, BOOKS, FLOWS, EVENTS, CONSENTS, CORRUPTION, UNIQUENESS = range(9)


def stream(seed: int, part: int, chunk: int = 0) -> np.random.Generator:
    """The random stream of one part of the generator for one chunk of customers."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, part, chunk])))


def weighted(rng: np.random.Generator, weights: npt.ArrayLike, size: int) -> IntArray:
    """Draw ``size`` indices with probabilities proportional to ``weights``."""
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    picks = np.searchsorted(cum, rng.random(size) * cum[-1], side="right")
    out: IntArray = np.minimum(picks, len(cum) - 1).astype(np.int64)
    return out


def conditional(rng: np.random.Generator, table: npt.ArrayLike, rows: npt.ArrayLike) -> IntArray:
    """Draw one category per item from the row of ``table`` the item's condition selects.

    Args:
        rng: Random stream.
        table: ``(conditions, categories)`` weights; rows need not sum to one.
        rows: The condition (row of ``table``) of each item.

    Returns:
        The category index drawn for each item.
    """
    weights = np.asarray(table, dtype=np.float64)
    cum = np.cumsum(weights, axis=1)
    cum /= cum[:, -1:]
    rows_ = np.asarray(rows, dtype=np.int64)
    u = rng.random(len(rows_))
    out: IntArray = np.zeros(len(rows_), dtype=np.int64)
    for row in range(weights.shape[0]):
        mine = rows_ == row
        out[mine] = np.searchsorted(cum[row], u[mine], side="right")
    out = np.minimum(out, weights.shape[1] - 1)
    return out


def sort_order(group: IntArray, time: IntArray) -> IntArray:
    """Order by group, then time (both non-negative, group below 2**28, time below 2**35),
    through one 64-bit key: much faster than a two-key sort on tens of millions of rows."""
    out: IntArray = np.argsort((group << 35) | time, kind="stable")
    return out


def expand(counts: npt.ArrayLike) -> IntArray:
    """Index of the owner of each item when owner ``i`` has ``counts[i]`` items."""
    counts_ = np.asarray(counts, dtype=np.int64)
    return np.repeat(np.arange(len(counts_), dtype=np.int64), counts_)


def rank_within(counts: npt.ArrayLike) -> IntArray:
    """Position of each item among its owner's items (0, 1, …), in :func:`expand` order."""
    counts_ = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(counts_) - counts_
    return np.arange(int(counts_.sum()), dtype=np.int64) - np.repeat(starts, counts_)


def lognormal(rng: np.random.Generator, median: npt.ArrayLike, sigma: float,
              size: int | None = None) -> FloatArray:
    """Log-normal values around ``median`` (amounts, incomes: skewed, never negative)."""
    med = np.asarray(median, dtype=np.float64)
    n = size if size is not None else med.shape[0] if med.ndim else 1
    out: FloatArray = med * np.exp(rng.normal(0.0, sigma, n))
    return out


def chance(rng: np.random.Generator, p: npt.ArrayLike, size: int | None = None) -> BoolArray:
    """One Bernoulli trial per item with success probability ``p`` (scalar or per item)."""
    p_ = np.asarray(p, dtype=np.float64)
    n = size if size is not None else p_.shape[0]
    out: BoolArray = rng.random(n) < p_
    return out


def uniform_int(rng: np.random.Generator, low: npt.ArrayLike, high: npt.ArrayLike) -> IntArray:
    """Integers uniform in ``[low, high)`` per item (``high > low`` required)."""
    lo = np.asarray(low, dtype=np.int64)
    hi = np.asarray(high, dtype=np.int64)
    n = max(lo.size, hi.size)
    span = np.maximum(hi - lo, 1)
    out: IntArray = lo + np.floor(rng.random(n) * span).astype(np.int64)
    return out


def sigmoid(x: Any) -> FloatArray:
    """Logistic function, to turn a score into a probability or an affinity in (0, 1)."""
    out: FloatArray = 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
    return out
