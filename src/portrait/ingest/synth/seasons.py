"""The generated period and its calendar: months, weekdays and shopping seasons.

Days are counted as integers since 1970-01-01 (numpy's ``datetime64[D]`` epoch) so
every date computation stays vectorized. Spending is not spread evenly over the year:
it rises before Spring Festival (the lunar new year, a different date each year), on
the 618 and Double 11 (11.11) online shopping festivals, in the National Day golden
week and on weekends; :class:`DaySampler` draws days with those weights.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from portrait.ingest.synth.draws import FloatArray, IntArray

SECONDS_PER_DAY = 86_400
#: A day far after any generated date: "never" for churn, marriage, retirement, closing.
NEVER = 1_000_000

#: Spring Festival (Chinese New Year's day) by year.
SPRING_FESTIVAL: dict[int, str] = {
    2010: "2010-02-14", 2011: "2011-02-03", 2012: "2012-01-23", 2013: "2013-02-10",
    2014: "2014-01-31", 2015: "2015-02-19", 2016: "2016-02-08", 2017: "2017-01-28",
    2018: "2018-02-16", 2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12",
    2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29",
    2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13",
    2030: "2030-02-03", 2031: "2031-01-23", 2032: "2032-02-11", 2033: "2033-01-31",
    2034: "2034-02-19", 2035: "2035-02-08",
}


def epoch_day(day: datetime.date) -> int:
    """Days since 1970-01-01."""
    return (day - datetime.date(1970, 1, 1)).days


def weekday(days: IntArray) -> IntArray:
    """Day of the week, Monday = 0 (1970-01-01 was a Thursday)."""
    out: IntArray = (days + 3) % 7
    return out


def previous_workday(days: IntArray) -> IntArray:
    """Move Saturdays and Sundays back to the Friday before (payroll runs on workdays)."""
    wd = weekday(days)
    out: IntArray = days - np.where(wd == 5, 1, 0) - np.where(wd == 6, 2, 0)
    return out


def years_between(start: IntArray, end: IntArray) -> FloatArray:
    """Whole and fractional years from ``start`` to ``end``."""
    out: FloatArray = (end - start) / 365.25
    return out


def add_years(days: IntArray, years: IntArray | int) -> IntArray:
    """The same calendar day ``years`` later (29 February becomes 1 March)."""
    d = days.astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    offset = d - y.astype("datetime64[D]")
    shifted = (y + np.asarray(years)).astype("datetime64[D]") + offset
    out: IntArray = shifted.astype(np.int64)
    return out


def add_months(days: IntArray, months: IntArray | int) -> IntArray:
    """The same day of the month ``months`` later, clipped to the month's last day."""
    d = days.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + np.asarray(months)
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    out: IntArray = target.astype("datetime64[D]").astype(np.int64) + np.minimum(dom, length - 1)
    return out


def _tabulated(values: IntArray, convert: Callable[[IntArray], IntArray]) -> IntArray:
    """``convert(values)`` computed once per distinct value in their range, then looked up:
    calendar conversions are slow, and generated dates span a few thousand days."""
    if not len(values):
        return values.copy()
    low, high = int(values.min()), int(values.max())
    if high - low > 4 * len(values):
        return convert(values)
    out: IntArray = convert(np.arange(low, high + 1, dtype=np.int64))[values - low]
    return out


def month_index(days: IntArray) -> IntArray:
    """Months since January 1970 of each day."""
    return _tabulated(days, lambda d: d.astype("datetime64[D]").astype("datetime64[M]")
                      .astype(np.int64))


def month_start(months: IntArray) -> IntArray:
    """First day of each month (months since January 1970)."""
    return _tabulated(months, lambda m: m.astype("datetime64[M]").astype("datetime64[D]")
                      .astype(np.int64))


def day_in_month(months: IntArray, day: IntArray) -> IntArray:
    """Day ``day`` (1-based) of each month, clipped to the month's length."""
    first = month_start(months)
    length = month_start(months + 1) - first
    out: IntArray = first + np.minimum(day, length) - 1
    return out


def calendar_month(days: IntArray) -> IntArray:
    """Month of the year, 1 … 12."""
    out: IntArray = month_index(days) % 12 + 1
    return out


def year_of(days: IntArray) -> IntArray:
    out: IntArray = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return out


@dataclass(frozen=True)
class Window:
    """The generated period: ``history_years`` years ending on ``end`` (both inclusive)."""

    start: int
    end: int

    @classmethod
    def ending(cls, end: datetime.date, history_years: int) -> Window:
        try:
            first = end.replace(year=end.year - history_years)
        except ValueError:  # 29 February
            first = end.replace(year=end.year - history_years, day=28)
        return cls(epoch_day(first) + 1, epoch_day(end))

    @property
    def days(self) -> int:
        return self.end - self.start + 1

    @property
    def months(self) -> IntArray:
        """Months (since January 1970) that overlap the window."""
        first, last = month_index(np.array([self.start, self.end], dtype=np.int64))
        out: IntArray = np.arange(first, last + 1, dtype=np.int64)
        return out

    def clip(self, days: IntArray) -> IntArray:
        out: IntArray = np.clip(days, self.start, self.end)
        return out


def festival_days(window: Window) -> IntArray:
    """Spring Festival days from the year before the window to the year after it."""
    years = range(int(year_of(np.array([window.start]))[0]) - 1,
                  int(year_of(np.array([window.end]))[0]) + 2)
    days = [epoch_day(datetime.date.fromisoformat(SPRING_FESTIVAL[y])) if y in SPRING_FESTIVAL
            else epoch_day(datetime.date(y, 2, 5)) for y in years]
    return np.array(days, dtype=np.int64)


def spending_weights(window: Window) -> FloatArray:
    """Relative consumer spending on each day of the window (1.0 = an ordinary weekday)."""
    days = np.arange(window.start, window.end + 1, dtype=np.int64)
    w = np.ones(len(days))
    w[weekday(days) >= 5] *= 1.2
    for fest in festival_days(window):
        before = (days >= fest - 21) & (days < fest)
        w[before] *= 1.0 + 1.2 * (1.0 - (fest - days[before]) / 21.0)  # ramps up to New Year
        w[(days >= fest) & (days < fest + 7)] *= 0.8  # shops close, families stay home
    month = calendar_month(days)
    dom = days - month_start(month_index(days)) + 1
    w[(month == 11) & (dom <= 11)] *= 1.4
    w[(month == 11) & (dom == 11)] *= 2.5
    w[(month == 6) & (dom >= 1) & (dom <= 18)] *= 1.25
    w[(month == 6) & (dom == 18)] *= 1.8
    w[(month == 10) & (dom <= 7)] *= 1.35
    w[(month == 12) & (dom >= 20)] *= 1.15
    return w


def gift_weights(window: Window) -> FloatArray:
    """Relative person-to-person transfers per day: red envelopes around Spring Festival."""
    days = np.arange(window.start, window.end + 1, dtype=np.int64)
    w = np.ones(len(days))
    for fest in festival_days(window):
        w[(days >= fest - 10) & (days < fest + 8)] *= 3.0
    return w


@dataclass(frozen=True)
class DaySampler:
    """Draws days inside the window with a given relative weight per day."""

    window: Window
    weights: FloatArray
    cum: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cum", np.concatenate([[0.0], np.cumsum(self.weights)]))

    def mass(self, lo: IntArray, hi: IntArray) -> FloatArray:
        """Total weight of the days in ``[lo, hi)`` (zero where empty): expected counts
        scale with it, so busy seasons get more events, not just different dates."""
        a = self.cum[np.clip(lo - self.window.start, 0, self.window.days)]
        b = self.cum[np.clip(hi - self.window.start, 0, self.window.days)]
        out: FloatArray = np.maximum(b - a, 0.0)
        return out

    def draw(self, rng: np.random.Generator, lo: IntArray, hi: IntArray) -> IntArray:
        """One day in ``[lo, hi)`` per item, weighted (callers drop empty ranges first)."""
        a = self.cum[np.clip(lo - self.window.start, 0, self.window.days)]
        b = self.cum[np.clip(hi - self.window.start, 0, self.window.days)]
        x = a + rng.random(len(lo)) * (b - a)
        idx = np.searchsorted(self.cum, x, side="right") - 1
        out: IntArray = np.clip(idx + self.window.start, lo, hi - 1)
        return out
