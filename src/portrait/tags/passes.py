"""The grouped passes of a snapshot query: which aggregates share a pass over their
table, and each aggregate as an expression over that pass's rows (aliased ``t``).

A pass reads one table (with the tables its aggregates reach through a reference,
joined), keeps the rows dated on or before the as-of date — and within its window, if
it has one — and groups them by customer. ``mode`` aggregates need a nested group-by
and get a pass of their own.
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from portrait import schema
from portrait.tags.plan import AS_OF, GroupKey, Plan, ResolvedTag, fk_aliases
from portrait.tags.spec import Aggregate

#: Windows up to this many times the narrowest window of a pass share its pass.
WINDOW_MERGE = 1.5


def window_start(as_of: dt.date, window: str) -> dt.date:
    """First day inside a look-back window ending on ``as_of`` (``90d`` → 89 days before)."""
    n, unit = int(window[:-1]), window[-1]
    if unit == "d":
        return as_of - dt.timedelta(days=n - 1)
    months = n * (12 if unit == "y" else 1)
    y, m = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
    last_day = (dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m + 1, min(as_of.day, last_day)) + dt.timedelta(days=1)


def date_literal(value: dt.date) -> exp.Expr:
    """``CAST('YYYY-MM-DD' AS DATE)``, which both dialects read the same way."""
    return exp.cast(exp.Literal.string(value.isoformat()), "DATE")


def true_division(node: exp.Expr) -> None:
    """Make the DOUBLE of a catalog division explicit, in place.

    Catalog SQL is DuckDB's, where ``/`` divides as DOUBLE whatever its operands; Spark
    divides DECIMALs as DECIMAL rounded to 6 places (``-amount / 3`` on a DECIMAL(18,2)
    column gives 585.333334 instead of 585.3333333333334).
    """
    if isinstance(node, exp.Div) and not (isinstance(node.this, exp.Cast)
                                          and node.this.to.is_type(exp.DataType.Type.DOUBLE)):
        node.set("this", exp.cast(node.this, "DOUBLE"))


class Passes:
    """Builds the aggregate passes of ``plan`` as of a date."""

    def __init__(self, plan: Plan, as_of: dt.date) -> None:
        self.plan = plan
        self.as_of = as_of

    def agg_rewrite(self, node: exp.Expr) -> exp.Expr:
        """A catalog expression over the pass's rows: columns qualified (``t`` or the
        joined alias), ``as_of`` as the date, divisions as DOUBLE."""

        def swap(n: exp.Expr) -> exp.Expr:
            true_division(n)
            if isinstance(n, exp.Column):
                if not n.table and n.name == AS_OF:
                    return date_literal(self.as_of)
                return exp.column(n.name, table=n.table or "t")
            return n

        return node.copy().transform(swap)

    def aggregate(self, agg: Aggregate, tag: ResolvedTag, time: exp.Expr | None,
                  in_window: exp.Expr | None = None) -> exp.Expr:
        """One aggregate; ``in_window`` restricts it to its window inside a wider pass.

        Counts, sums, averages, extremes and shares aggregate a ``CASE`` (``COUNT_IF``)
        rather than carry a ``FILTER`` clause: the same values, and DuckDB evaluates the
        conditional form faster when a pass holds many aggregates. ``last`` keeps its
        ``FILTER``, which DuckDB handles better there. ``count_distinct``, ``set`` and
        ``mode`` are not here: each has a pass of its own (:meth:`distinct`, :meth:`mode`).
        """
        column = self.agg_rewrite(tag.parsed["column"]) if "column" in tag.parsed else None
        condition = self.agg_rewrite(tag.parsed["filter"]) if "filter" in tag.parsed else None

        def where(extra: exp.Expr | None = None) -> exp.Expr | None:
            conds = [c.copy() for c in (condition, in_window, extra) if c is not None]
            return exp.and_(*conds) if conds else None

        def filtered(func: exp.Expr, extra: exp.Expr | None = None) -> exp.Expr:
            cond = where(extra)
            return func if cond is None else exp.Filter(this=func, expression=exp.Where(this=cond))

        def when(value: exp.Expr) -> exp.Expr:
            cond = where()
            return value if cond is None else exp.Case().when(cond, value)

        def count(cond: exp.Expr | None) -> exp.Expr:
            return exp.Count(this=exp.Star()) if cond is None else exp.CountIf(this=cond)

        f = agg.function
        if f == "count":
            return count(where())
        if f == "share":
            every = count(in_window.copy() if in_window is not None else None)
            total = exp.func("nullif", every, exp.Literal.number(0))
            return exp.Div(this=exp.cast(count(where()), "DOUBLE"), expression=total)
        if f == "days_since":
            assert time is not None, "days_since needs a time column"
            last_day = exp.cast(exp.Max(this=when(time.copy())), "DATE")
            return exp.DateDiff(this=date_literal(self.as_of), expression=last_day, unit=exp.var("DAY"))
        assert column is not None
        not_null = column.is_(exp.null()).not_()
        if f in ("sum", "avg", "min", "max", "stddev"):
            return {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max,
                    "stddev": exp.StddevSamp}[f](this=when(exp.cast(column, "DOUBLE")))
        assert time is not None, f"{f} needs a time column"
        if f == "last":
            # An undated row is never the latest: engines disagree on where a null
            # sorts inside the (time, key) order.
            dated = time.copy().is_(exp.null()).not_()
            return filtered(exp.ArgMax(this=column, expression=self.latest(agg.table, time)),
                            exp.and_(not_null, dated))
        raise AssertionError(f"unhandled aggregate {f}")

    @staticmethod
    def latest(table_name: str, time: exp.Expr) -> exp.Expr:
        """The order of ``last``: by time, then by the table's key.

        Compared in their own types: a text rendering of the time would sort
        '09:00:00|…' after '09:00:00.5|…'. Key columns that cannot break a tie are left
        out, since each costs a comparison per row: ``customer_id`` (one value per
        group) and the time column itself when it is part of the key.
        """
        time_name = time.name if isinstance(time, exp.Column) else None
        keys = [k for k in schema.table(table_name).key if k not in ("customer_id", time_name)]
        if not keys:
            return time
        parts = [time, *[exp.column(k, table="t") for k in keys]]
        return exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=p)
                                       for i, p in enumerate(parts)])

    def source(self, key: GroupKey, names: list[str]) -> exp.Select:
        """The rows of pass ``key``: its table, the references ``names`` read, joined,
        and the as-of and window cut."""
        table = schema.table(key.table)
        select = exp.select(exp.column("customer_id", table="t")).from_(
            exp.alias_(exp.to_table(table.name), "t", table=True))
        used = {c.split(".")[0] for n in names for c in self.plan.tags[n].columns if "." in c}
        for alias, target in sorted(fk_aliases(table).items()):
            if alias in used:
                select = select.join(exp.alias_(exp.to_table(target.name), alias, table=True),
                                     on=exp.EQ(this=exp.column(f"{alias}_id", table="t"),
                                               expression=exp.column(target.key[0], table=alias)),
                                     join_type="LEFT")
        if key.time_column:
            # Rows dated on or before the as-of date, as a comparison of the column itself
            # (before the next day): DuckDB then filters while scanning, rather than
            # reading every row to cast it to a date.
            time = exp.column(key.time_column, table="t")
            cut: exp.Expr = exp.LT(this=time, expression=date_literal(self.as_of + dt.timedelta(days=1)))
            if key.window:
                cut = exp.and_(exp.GTE(this=time.copy(), expression=date_literal(
                    window_start(self.as_of, key.window))), cut)
            else:
                cut = exp.or_(time.copy().is_(exp.null()), cut)
            select = select.where(cut)
        return select

    def in_window(self, time_column: str, window: str) -> exp.Expr:
        """A narrower window inside a pass, whose WHERE already ends it at the as-of date."""
        return exp.GTE(this=exp.column(time_column, table="t"),
                       expression=date_literal(window_start(self.as_of, window)))

    def span(self, window: str | None) -> int | None:
        """Days a window covers up to the as-of date (``None``: all history)."""
        return None if window is None else (self.as_of - window_start(self.as_of, window)).days + 1

    def passes(self) -> dict[GroupKey, list[str]]:
        """Aggregates fused into one pass per table, time column and window, where windows
        of about the same length share a pass.

        A pass reads only the rows of its window, so the 90-day aggregates do not each
        test every row of the table's history. Windows up to ``WINDOW_MERGE`` times the
        narrowest of their pass share it (90 days and 3 months, 180 days and 6 months):
        the pass reads the widest, and each narrower aggregate keeps to its own window
        with a condition, which costs less than reading the table again.
        """
        tables: dict[tuple[str, str | None], dict[str | None, list[str]]] = {}
        for key, names in self.plan.groups.items():
            tables.setdefault((key.table, key.time_column), {}).setdefault(key.window, []).extend(names)
        out: dict[GroupKey, list[str]] = {}
        for (table, time_column), by_window in tables.items():
            spans = sorted(by_window, key=lambda w: self.span(w) or 10**9)
            shared: list[list[str | None]] = []
            for window in spans:
                span, first = self.span(window), self.span(shared[-1][0]) if shared else None
                if shared and span is not None and first is not None and span <= WINDOW_MERGE * first:
                    shared[-1].append(window)
                else:
                    shared.append([window])
            for windows in shared:
                members = set(windows)
                names = [n for key, ns in self.plan.groups.items() for n in ns
                         if (key.table, key.time_column) == (table, time_column) and key.window in members]
                out[GroupKey(table, windows[-1], time_column)] = names
        return out

    def pairs(self, key: GroupKey, name: str, value: exp.Expr, *extra: exp.Expr) -> exp.Select:
        """The (customer, ``value``) groups of tag ``name``'s rows: its pass's rows that meet
        its filter, null values left out, with ``extra`` aggregates per group."""
        tag = self.plan.tags[name]
        select = self.source(key, [name]).select(exp.alias_(value, "v"), *extra)
        if "filter" in tag.parsed:
            select = select.where(self.agg_rewrite(tag.parsed["filter"]))
        return select.where(value.copy().is_(exp.null()).not_()).group_by(
            exp.column("customer_id", table="t"), value.copy())

    def mode(self, key: GroupKey, name: str) -> exp.Select:
        """Most frequent value; ties go to the smallest value, so every engine agrees."""
        value = exp.cast(self.agg_rewrite(self.plan.tags[name].parsed["column"]), "VARCHAR")
        counts = self.pairs(key, name, value, exp.alias_(exp.Count(this=exp.Star()), "n"))
        rank = exp.Window(this=exp.RowNumber(), partition_by=[exp.column("customer_id")],
                          order=exp.Order(expressions=[exp.Ordered(this=exp.column("n"), desc=True),
                                                       exp.Ordered(this=exp.column("v"))]))
        ranked = exp.select("customer_id", "v", exp.alias_(rank, "rn")).from_(counts.subquery())
        return exp.select("customer_id", exp.alias_(exp.column("v"), name)).from_(
            ranked.subquery()).where(exp.EQ(this=exp.column("rn"), expression=exp.Literal.number(1)))

    def distinct(self, key: GroupKey, name: str) -> exp.Select:
        """A ``count_distinct`` or ``set`` aggregate in two steps: the distinct (customer,
        value) pairs of its rows, then per customer their count or their sorted list.

        Grouping the pairs first costs less than a ``DISTINCT`` aggregate inside a wide
        pass, for which DuckDB keeps a hash table of the pairs and merges it back into
        the pass's groups afterwards.
        """
        tag = self.plan.tags[name]
        assert tag.spec.aggregate is not None
        value = self.agg_rewrite(tag.parsed["column"])
        as_set = tag.spec.aggregate.function == "set"
        if as_set:
            value = exp.cast(value, "VARCHAR")
        agg = exp.ArraySort(this=exp.ArrayAgg(this=exp.column("v"))) if as_set else exp.Count(this=exp.Star())
        return exp.select("customer_id", exp.alias_(agg, name)).from_(
            self.pairs(key, name, value).subquery()).group_by(exp.column("customer_id"))

    def grouped(self, key: GroupKey, names: list[str]) -> exp.Select:
        """The pass ``key`` computing the aggregates ``names`` (not ``mode``, ``count_distinct``
        or ``set``, which have passes of their own)."""
        time = exp.column(key.time_column, table="t") if key.time_column else None
        select = self.source(key, names)
        for name in names:
            tag = self.plan.tags[name]
            assert tag.spec.aggregate is not None and tag.group is not None
            own = tag.group.window
            window = (self.in_window(key.time_column, own)
                      if own is not None and own != key.window and key.time_column else None)
            select = select.select(exp.alias_(self.aggregate(tag.spec.aggregate, tag, time, window), name),
                                   copy=False)
        return select.group_by(exp.column("customer_id", table="t"))
