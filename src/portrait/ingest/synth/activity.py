"""When customers are active: their live days, fading before churn, times of day.

Every stream of transactions and events draws its days and times through these
helpers, so all of them agree on when a customer joined, when they left, and how a
churner's activity fades out over the months before they leave.
"""

from __future__ import annotations

import numpy as np

from portrait.ingest.synth.draws import FloatArray, IntArray, expand
from portrait.ingest.synth.population import Population
from portrait.ingest.synth.seasons import DaySampler
from portrait.ingest.synth.world import World

#: Relative activity by hour of day.
HOURS_SHOPPING = (1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 3, 5, 6, 7, 9, 10, 8, 7, 7, 8, 9, 10, 11, 10,
                  8, 5, 2)
HOURS_OFFICE = (0,) * 9 + (6, 8, 8, 5, 6, 8, 8, 6) + (0,) * 7
HOURS_PAYROLL = (0,) * 8 + (3, 6, 5, 2) + (0,) * 12
HOURS_NIGHT = (0, 4, 3, 2) + (0,) * 20


def clock(rng: np.random.Generator, n: int, hours: tuple[float, ...]) -> IntArray:
    """Seconds into the day, with the given relative activity per hour."""
    w = np.asarray(hours, dtype=np.float64)
    cum = np.cumsum(w) / w.sum()
    hour = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), 23)
    out: IntArray = hour * 3600 + rng.integers(0, 3600, n)
    return out


def live_span(world: World, pop: Population) -> tuple[IntArray, IntArray]:
    """Per customer, the days ``[lo, hi)`` on which their accounts can move money."""
    lo = np.maximum(world.window.start, pop.joined + 1)
    hi = np.minimum(world.window.end + 1, pop.churn_day)
    return lo, hi


def fading(pop: Population, cust: IntArray, day: IntArray) -> FloatArray:
    """How much of their usual activity a customer still has on ``day`` (1 … 0 before
    churning)."""
    left = (pop.churn_day[cust] - day) / pop.fade_days[cust]
    out: FloatArray = np.clip(left, 0.0, 1.0)
    return out


def moved_away(pop: Population, hi: IntArray) -> IntArray:
    """Per customer, the day regular payments (salary, pension, bills, savings plans) stop
    arriving or leaving: when a churner starts fading, they redirect them elsewhere."""
    out: IntArray = np.minimum(hi, pop.churn_day - pop.fade_days)
    return out


def occurrences(rng: np.random.Generator, sampler: DaySampler, pop: Population,
                rate: FloatArray, lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """Random days on which each customer does something, ``rate`` times per 30 (weighted)
    days within ``[lo, hi)``, thinned as a churner's activity fades.

    Returns:
        The customer and the day of each occurrence.
    """
    live = np.flatnonzero((hi > lo) & (rate > 0))
    counts = rng.poisson(rate[live] / 30.0 * sampler.mass(lo[live], hi[live]))
    cust = live[expand(counts)]
    day = sampler.draw(rng, lo[cust], hi[cust])
    keep = rng.random(len(cust)) < fading(pop, cust, day)
    return cust[keep], day[keep]
