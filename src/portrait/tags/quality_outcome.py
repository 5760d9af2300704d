"""The outcome tag quality measures predictive value against: adoption of a product category.

A customer *adopts* category C in (as_of, end] when one of their holdings of a product of
category C starts inside that window. Customers already holding C at as_of (a holding
that started on or before as_of — or has no known start — and had not ended by then) are
not in the population: they cannot adopt what they hold. Only dates are read, never the
holding's status, so nothing after as_of leaks into "already holding".
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
from sqlglot import exp

from portrait.errors import UsageError
from portrait.store.engine import Engine

_HORIZON = re.compile(r"^(\d+)([dmy])$")


def horizon_end(as_of: dt.date, horizon: str) -> dt.date:
    """Last day of the window ``(as_of, end]``: ``90d`` → as_of + 90 days; ``6m``, ``1y`` by calendar.

    Raises:
        UsageError: ``horizon`` is not like ``90d``, ``6m`` or ``1y``.
    """
    match = _HORIZON.match(horizon.strip())
    if not match or int(match[1]) == 0:
        raise UsageError(f"Horizon {horizon!r} is not a duration.", hint="Use e.g. 90d, 6m or 1y.")
    n, unit = int(match[1]), match[2]
    if unit == "d":
        return as_of + dt.timedelta(days=n)
    months = as_of.year * 12 + as_of.month - 1 + n * (12 if unit == "y" else 1)
    year, month = divmod(months, 12)
    first_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return dt.date(year, month + 1, min(as_of.day, (first_next - dt.timedelta(days=1)).day))


def _date(day: dt.date) -> exp.Expr:
    return exp.cast(exp.Literal.string(day.isoformat()), "DATE")


def _holders(category: str, condition: exp.Expr) -> exp.Select:
    h, p = "h", "p"
    return (exp.select(exp.column("customer_id", h)).distinct()
            .from_(exp.to_table("holdings").as_(h))
            .join(exp.to_table("products").as_(p),
                  on=exp.column("product_id", h).eq(exp.column("product_id", p)))
            .where(exp.and_(exp.column("category", p).eq(exp.Literal.string(category)), condition)))


def adoption_query(table: str, category: str, as_of: dt.date, end: dt.date) -> exp.Select:
    """``customer_id, adopted`` for every customer of the snapshot ``table``, by customer_id:
    1 adopted, 0 did not, NULL already held the category at ``as_of``."""
    start_at, end_at = exp.column("start_at", "h"), exp.column("end_at", "h")
    day = _date(as_of)
    held = _holders(category, exp.and_(
        exp.or_(start_at.is_(exp.null()), exp.LTE(this=start_at, expression=day)),
        exp.or_(end_at.is_(exp.null()), exp.GT(this=end_at, expression=day))))
    new = _holders(category, exp.and_(exp.GT(this=start_at, expression=day),
                                      exp.LTE(this=start_at, expression=_date(end))))
    cid = exp.column("customer_id", "s")
    label = (exp.Case().when(exp.column("customer_id", "held").is_(exp.null()).not_(), exp.null())
             .when(exp.column("customer_id", "new").is_(exp.null()).not_(), exp.Literal.number(1))
             .else_(exp.Literal.number(0)))
    return (exp.select(cid, exp.alias_(exp.cast(label, "TINYINT"), "adopted"))
            .from_(exp.to_table(table).as_("s"))
            .join(held.subquery("held"), on=cid.eq(exp.column("customer_id", "held")), join_type="left")
            .join(new.subquery("new"), on=cid.eq(exp.column("customer_id", "new")), join_type="left")
            .order_by(cid))


def adoption_labels(engine: Engine, table: str, category: str, as_of: dt.date, end: dt.date) -> pa.Table:
    """``customer_id, adopted`` (1, 0, or NULL = already holding) per customer of ``table``."""
    return engine.query_arrow(adoption_query(table, category, as_of, end))


def data_end(engine: Engine) -> dt.date | None:
    """The last date the data covers: the later of the workspace's default as-of date and
    the latest holding start."""
    days: list[dt.date] = []
    meta = engine.get_meta("default_as_of")
    if meta:
        days.append(dt.date.fromisoformat(meta))
    row = engine.query(exp.select(exp.func("max", exp.column("start_at"))).from_("holdings"))
    if row and isinstance(row[0][0], dt.date):
        days.append(row[0][0])
    return max(days, default=None)
