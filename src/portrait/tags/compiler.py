"""Compiling a plan into one SQL query that computes a tag snapshot as of a date.

The query is built as a sqlglot tree and rendered for a dialect (``duckdb`` or
``spark``) at the very end. Shape::

    b      customers who had joined by the as-of date (+ their district)
    g_k    one grouped pass per (table, window): every aggregate of that group, with
           FILTER clauses, over rows dated on or before the as-of date
    m_k    one pass per ``mode`` aggregate (deterministic tie-break)
    s_k    one step per dependency level: expressions, bins, ranks, RFM
    final  customer_id and every tag cast to its type
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from sqlglot import exp

from portrait import schema
from portrait.errors import UsageError
from portrait.tags.plan import AS_OF, BASE_TABLE, GroupKey, Plan, ResolvedTag, fk_aliases
from portrait.tags.spec import Aggregate, TagSpec

DIALECTS = ("duckdb", "spark")
SQL_TYPE: dict[str, str] = {
    "boolean": "BOOLEAN", "numeric": "DOUBLE", "categorical": "VARCHAR", "ordinal": "VARCHAR",
    "set": "ARRAY<VARCHAR>",
}
#: Labels of RFM segments, first matching rule wins (scores 1 = worst … buckets = best).
RFM_SEGMENTS: tuple[tuple[str, str], ...] = (
    ("champions", "r >= {hi} AND f >= {hi} AND m >= {hi}"),
    ("loyal", "f >= {hi}"),
    ("promising", "r >= {hi} AND f <= {lo}"),
    ("at_risk", "r <= {lo} AND f >= {mid}"),
    ("hibernating", "r <= {lo} AND f <= {lo}"),
    ("needs_attention", "TRUE"),
)


@functools.cache
def _data_type(name: str) -> exp.DataType:
    return exp.DataType.build(name, dialect="spark")


def sql_type(spec: TagSpec) -> exp.DataType:
    return _data_type(SQL_TYPE[spec.type]).copy()


def window_start(as_of: dt.date, window: str) -> dt.date:
    """First day inside a look-back window ending on ``as_of`` (``90d`` → 89 days before)."""
    n, unit = int(window[:-1]), window[-1]
    if unit == "d":
        return as_of - dt.timedelta(days=n - 1)
    months = n * (12 if unit == "y" else 1)
    y, m = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
    last_day = (dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m + 1, min(as_of.day, last_day)) + dt.timedelta(days=1)


def _date(value: dt.date) -> exp.Expr:
    return exp.cast(exp.Literal.string(value.isoformat()), "DATE")


def _true_division(node: exp.Expr) -> None:
    """Make the DOUBLE of a catalog division explicit, in place.

    Catalog SQL is DuckDB's, where ``/`` divides as DOUBLE whatever its operands; Spark
    divides DECIMALs as DECIMAL rounded to 6 places (``-amount / 3`` on a DECIMAL(18,2)
    column gives 585.333334 instead of 585.3333333333334).
    """
    if isinstance(node, exp.Div) and not (isinstance(node.this, exp.Cast)
                                          and node.this.to.is_type(exp.DataType.Type.DOUBLE)):
        node.set("this", exp.cast(node.this, "DOUBLE"))


@dataclass
class CompiledSnapshot:
    """The snapshot query, with what it computes."""

    query: exp.Select
    tags: list[str]
    uncovered: set[str]

    def sql(self, dialect: str) -> str:
        if dialect not in DIALECTS:
            raise UsageError(f"Unknown dialect {dialect!r}.", hint=f"Dialects: {', '.join(DIALECTS)}")
        return self.query.sql(dialect=dialect, pretty=True)


@dataclass(frozen=True)
class Reuse:
    """Static tags carried over from an earlier snapshot for the customers it holds.

    Attributes:
        table: The earlier snapshot table.
        tags: Tags whose values are taken from it (customers not in it are computed).
    """

    table: str
    tags: frozenset[str]


PREV_ID = "prev__customer_id"


class _Compiler:
    def __init__(self, plan: Plan, as_of: dt.date, uncovered: set[str],
                 reuse: Reuse | None = None) -> None:
        self.plan = plan
        self.as_of = as_of
        self.uncovered = uncovered
        self.reuse = reuse if reuse is not None and reuse.tags else None
        self.ctes: list[tuple[str, exp.Expr]] = []

    def carried(self, name: str, value: exp.Expr) -> exp.Expr:
        """``value``, or the earlier snapshot's value where the tag is reused and known."""
        if self.reuse is None or name not in self.reuse.tags:
            return value
        return exp.Case().when(exp.column(PREV_ID).is_(exp.null()).not_(),
                               exp.column(f"prev__{name}")).else_(value)

    # -- expressions over the base relation and earlier tags -----------------------
    def rewrite(self, node: exp.Expr) -> exp.Expr:
        def swap(n: exp.Expr) -> exp.Expr:
            _true_division(n)
            if not isinstance(n, exp.Column):
                return n
            if not n.table and n.name == AS_OF:
                return _date(self.as_of)
            if not n.table and n.name in self.plan.tags:
                return exp.column(n.name)
            qualifier = n.table or "customer"
            return exp.column(f"{qualifier}__{n.name}")

        return node.copy().transform(swap)

    def agg_rewrite(self, node: exp.Expr) -> exp.Expr:
        def swap(n: exp.Expr) -> exp.Expr:
            _true_division(n)
            if isinstance(n, exp.Column):
                if not n.table and n.name == AS_OF:
                    return _date(self.as_of)
                return exp.column(n.name, table=n.table or "t")
            return n

        return node.copy().transform(swap)

    # -- the base relation ---------------------------------------------------------
    def base(self) -> None:
        used = {c for t in self.plan.tags.values() if t.spec.expr is not None for c in t.columns}
        customers = schema.table(BASE_TABLE)
        projections: list[exp.Expr] = [exp.column("customer_id", table="c")]
        join_district = False
        for col in sorted(used):
            qualifier, _, name = col.rpartition(".")
            qualifier = qualifier or "customer"
            source = "c" if qualifier == "customer" else qualifier
            join_district |= qualifier == "district"
            projections.append(exp.alias_(exp.column(name, table=source), f"{qualifier}__{name}"))
        joined = exp.column("joined_at", table="c")
        select = exp.select(*projections).from_(exp.alias_(exp.to_table(customers.name), "c", table=True))
        if join_district:
            select = select.join(exp.alias_(exp.to_table("districts"), "district", table=True),
                                 on=exp.EQ(this=exp.column("district_id", table="c"),
                                           expression=exp.column("district_id", table="district")),
                                 join_type="LEFT")
        if self.reuse is not None:
            select = select.select(exp.alias_(exp.column("customer_id", table="p"), PREV_ID), *[
                exp.alias_(exp.column(n, table="p"), f"prev__{n}") for n in sorted(self.reuse.tags)],
                copy=False)
            select = select.join(exp.alias_(exp.to_table(self.reuse.table), "p", table=True),
                                 on=exp.EQ(this=exp.column("customer_id", table="c"),
                                           expression=exp.column("customer_id", table="p")),
                                 join_type="LEFT", copy=False)
        select = select.where(exp.or_(joined.is_(exp.null()),
                                      exp.LTE(this=joined, expression=_date(self.as_of))))
        self.ctes.append(("b", select))

    # -- aggregates ------------------------------------------------------------------
    def aggregate(self, agg: Aggregate, tag: ResolvedTag, time: exp.Expr | None,
                  in_window: exp.Expr | None = None) -> exp.Expr:
        """One aggregate; ``in_window`` restricts it to its window inside a wider pass."""
        column = self.agg_rewrite(tag.parsed["column"]) if "column" in tag.parsed else None
        condition = self.agg_rewrite(tag.parsed["filter"]) if "filter" in tag.parsed else None

        def filtered(func: exp.Expr, extra: exp.Expr | None = None) -> exp.Expr:
            conds = [c.copy() for c in (condition, in_window, extra) if c is not None]
            if not conds:
                return func
            return exp.Filter(this=func, expression=exp.Where(this=exp.and_(*conds)))

        f = agg.function
        if f == "count":
            return filtered(exp.Count(this=exp.Star()))
        if f == "share":
            hits = filtered(exp.Count(this=exp.Star()))
            every: exp.Expr = exp.Count(this=exp.Star())
            if in_window is not None:
                every = exp.Filter(this=every, expression=exp.Where(this=in_window.copy()))
            total = exp.func("nullif", every, exp.Literal.number(0))
            return exp.Div(this=exp.cast(hits, "DOUBLE"), expression=total)
        if f == "days_since":
            assert time is not None, "days_since needs a time column"
            last_day = exp.cast(filtered(exp.Max(this=time)), "DATE")
            return exp.DateDiff(this=_date(self.as_of), expression=last_day, unit=exp.var("DAY"))
        assert column is not None
        not_null = column.is_(exp.null()).not_()
        if f in ("sum", "avg", "min", "max", "stddev"):
            func = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max,
                    "stddev": exp.StddevSamp}[f](this=exp.cast(column, "DOUBLE"))
            return filtered(func)
        if f == "count_distinct":
            return filtered(exp.Count(this=exp.Distinct(expressions=[column])))
        if f == "set":
            agg_node = exp.ArrayAgg(this=exp.Distinct(expressions=[exp.cast(column, "VARCHAR")]))
            return exp.ArraySort(this=filtered(agg_node, not_null))
        assert time is not None, f"{f} needs a time column"
        if f == "last":
            # Latest by time, then by key, compared in their own types: a text rendering
            # of the time would sort '09:00:00|…' after '09:00:00.5|…'.
            table = schema.table(agg.table)
            parts = [time, *[exp.column(k, table="t") for k in table.key]]
            order = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=p)
                                            for i, p in enumerate(parts)])
            return filtered(exp.ArgMax(this=column, expression=order), not_null)
        raise AssertionError(f"unhandled aggregate {f}")

    def source(self, key: GroupKey, names: list[str]) -> exp.Select:
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
            day = exp.cast(exp.column(key.time_column, table="t"), "DATE")
            cut: exp.Expr = exp.LTE(this=day, expression=_date(self.as_of))
            if key.window:
                cut = exp.and_(cut, exp.GTE(this=day, expression=_date(
                    window_start(self.as_of, key.window))))
            else:
                cut = exp.or_(exp.column(key.time_column, table="t").is_(exp.null()), cut)
            select = select.where(cut)
        return select

    def in_window(self, time_column: str, window: str) -> exp.Expr:
        day = exp.cast(exp.column(time_column, table="t"), "DATE")
        return exp.and_(exp.GTE(this=day, expression=_date(window_start(self.as_of, window))),
                        exp.LTE(this=day.copy(), expression=_date(self.as_of)))

    def passes(self) -> dict[GroupKey, list[str]]:
        """Aggregates fused into one pass per table and time column, whatever their window:
        the pass reads the widest window (or all history), and each aggregate keeps to its
        own window with a FILTER clause."""
        merged: dict[tuple[str, str | None], list[str]] = {}
        for key, names in self.plan.groups.items():
            merged.setdefault((key.table, key.time_column), []).extend(names)
        out: dict[GroupKey, list[str]] = {}
        for (table, time_column), names in merged.items():
            windows = {self.plan.tags[n].group.window for n in names}  # type: ignore[union-attr]
            widest = None if None in windows else min(
                windows, key=lambda w: window_start(self.as_of, w))  # type: ignore[arg-type]
            out[GroupKey(table, widest, time_column)] = names
        return out

    def groups(self) -> list[tuple[str, list[str]]]:
        joins: list[tuple[str, list[str]]] = []
        for k, (key, names) in enumerate(self.passes().items()):
            live = [n for n in names if n not in self.uncovered]
            plain = [n for n in live if self.plan.tags[n].spec.aggregate.function != "mode"]  # type: ignore[union-attr]
            modes = [n for n in live if n not in plain]
            time = exp.column(key.time_column, table="t") if key.time_column else None
            if plain:
                select = self.source(key, plain)
                for name in plain:
                    tag = self.plan.tags[name]
                    assert tag.spec.aggregate is not None and tag.group is not None
                    own = tag.group.window
                    window = (self.in_window(key.time_column, own)
                              if own is not None and own != key.window and key.time_column else None)
                    value = self.aggregate(tag.spec.aggregate, tag, time, window)
                    select = select.select(exp.alias_(value, name), copy=False)
                self.ctes.append((f"g{k}", select.group_by(exp.column("customer_id", table="t"))))
                joins.append((f"g{k}", plain))
            for j, name in enumerate(modes):
                tag_key = self.plan.tags[name].group
                assert tag_key is not None
                joins.append((self.mode(tag_key, name, f"m{k}_{j}"), [name]))
        return joins

    def mode(self, key: GroupKey, name: str, cte: str) -> str:
        """Most frequent value; ties go to the smallest value, so every engine agrees."""
        tag = self.plan.tags[name]
        value = exp.cast(self.agg_rewrite(tag.parsed["column"]), "VARCHAR")
        counts = self.source(key, [name]).select(exp.alias_(value, "v"), exp.alias_(
            exp.Count(this=exp.Star()), "n"))
        if "filter" in tag.parsed:
            counts = counts.where(self.agg_rewrite(tag.parsed["filter"]))
        counts = counts.where(value.is_(exp.null()).not_()).group_by(
            exp.column("customer_id", table="t"), value)
        rank = exp.Window(this=exp.RowNumber(), partition_by=[exp.column("customer_id")],
                          order=exp.Order(expressions=[exp.Ordered(this=exp.column("n"), desc=True),
                                                       exp.Ordered(this=exp.column("v"))]))
        ranked = exp.select("customer_id", "v", exp.alias_(rank, "rn")).from_(counts.subquery())
        self.ctes.append((cte, exp.select("customer_id", exp.alias_(exp.column("v"), name)).from_(
            ranked.subquery()).where(exp.EQ(this=exp.column("rn"), expression=exp.Literal.number(1)))))
        return cte

    # -- derived tags ----------------------------------------------------------------
    def derived(self, tag: ResolvedTag) -> exp.Expr:
        spec = tag.spec
        if spec.expr is not None:
            return self.rewrite(tag.parsed["expr"])
        if spec.bins is not None:
            src = exp.column(spec.bins.tag)
            case = exp.Case()
            for low, label in reversed(spec.bins.edges):
                case = case.when(exp.GTE(this=src, expression=exp.Literal.number(low)),
                                 exp.Literal.string(label))
            return case
        if spec.rank is not None:
            return self.bucket(spec.rank.tag, spec.rank.buckets)
        if spec.rfm is not None:
            b = spec.rfm.buckets
            r = exp.Sub(this=exp.Literal.number(b + 1), expression=self.bucket(spec.rfm.recency, b))
            scores = {"r": r, "f": self.bucket(spec.rfm.frequency, b),
                      "m": self.bucket(spec.rfm.monetary, b)}
            hi, lo, mid = b - 1, 2, (b + 1) // 2
            case = exp.Case()
            for label, rule in RFM_SEGMENTS:
                cond = exp.condition(rule.format(hi=hi, lo=lo, mid=mid))
                cond = cond.transform(lambda n: scores[n.name].copy()
                                      if isinstance(n, exp.Column) and n.name in scores else n)
                case = case.when(cond, exp.Literal.string(label))
            return exp.If(this=exp.or_(*[exp.column(getattr(spec.rfm, k)).is_(exp.null())
                                          for k in ("recency", "frequency", "monetary")]),
                          true=exp.null(), false=case)
        return exp.null()  # a model score before its model is registered

    def bucket(self, name: str, buckets: int) -> exp.Expr:
        """1 … buckets by percent rank; equal values share a bucket; null stays null."""
        src = exp.column(name)
        pr = exp.Window(this=exp.PercentRank(), partition_by=[src.is_(exp.null())],
                        order=exp.Order(expressions=[exp.Ordered(this=src.copy())]))
        raw = exp.Add(this=exp.cast(exp.Floor(this=exp.Mul(this=pr, expression=exp.Literal.number(
            buckets))), "INT"), expression=exp.Literal.number(1))
        return exp.If(this=src.copy().is_(exp.null()), true=exp.null(),
                      false=exp.Least(this=raw, expressions=[exp.Literal.number(buckets)]))

    # -- the whole query ---------------------------------------------------------------
    def compile(self, names: list[str]) -> CompiledSnapshot:
        self.base()
        joins = self.groups()
        step = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("b"))).from_(
            exp.alias_(exp.to_table("b"), "b", table=True))
        for cte, cols in joins:
            step = step.select(*[self.with_default(n, exp.column(n, table=cte)) for n in cols],
                               copy=False)
            step = step.join(exp.to_table(cte), using=["customer_id"], join_type="LEFT", copy=False)
        self.ctes.append(("s0", step))
        last = "s0"
        for k, level in enumerate(self.plan.levels, start=1):
            derived = [n for n in level if self.plan.tags[n].group is None]
            if not derived:
                continue
            select = exp.select(exp.Star()).from_(last)
            for name in derived:
                value = (exp.null() if name in self.uncovered
                         else self.carried(name, self.derived(self.plan.tags[name])))
                select = select.select(exp.alias_(exp.cast(value, sql_type(self.plan.tags[name].spec)),
                                                  name), copy=False)
            last = f"s{k}"
            self.ctes.append((last, select))
        final = exp.select(exp.column("customer_id"), *[
            exp.alias_(exp.null() if n in self.uncovered and self.plan.tags[n].group is not None
                       else exp.cast(exp.column(n), sql_type(self.plan.tags[n].spec)), n)
            for n in names])
        final = final.from_(last)
        for cte, body in self.ctes:
            final = final.with_(cte, as_=body, copy=False)
        return CompiledSnapshot(final, names, self.uncovered)

    def with_default(self, name: str, value: exp.Expr) -> exp.Expr:
        agg = self.plan.tags[name].spec.aggregate
        assert agg is not None
        default: exp.Expr | None = None
        if agg.default is not None:
            default = exp.convert(agg.default)
        elif agg.function in ("count", "count_distinct"):
            default = exp.Literal.number(0)
        elif agg.function == "set":
            default = exp.Array(expressions=[])
        if default is not None:
            value = exp.func("coalesce", value, default)
        return exp.alias_(self.carried(name, value), name)


def compile_snapshot(plan: Plan, names: list[str], as_of: dt.date,
                     uncovered: set[str] | None = None, reuse: Reuse | None = None) -> CompiledSnapshot:
    """The query computing ``names`` (and what they need) for customers as of ``as_of``.

    With ``reuse``, the listed static tags take their earlier values for the customers the
    earlier snapshot holds, and are computed only for the others.
    """
    sub = Plan({n: plan.tags[n] for n in plan.closure(names)}, {}, [])
    sub.levels = [[n for n in level if n in sub.tags] for level in plan.levels]
    sub.levels = [level for level in sub.levels if level]
    sub.groups = {k: [n for n in v if n in sub.tags] for k, v in plan.groups.items()}
    sub.groups = {k: v for k, v in sub.groups.items() if v}
    return _Compiler(sub, as_of, uncovered or set(), reuse).compile(names)
