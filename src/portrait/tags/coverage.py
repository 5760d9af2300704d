"""Which tags the data can support as of a date.

A tag whose inputs the source lacks — a table with no rows by the as-of date, a customer
column that is empty, a model not yet registered — is *uncovered*: it is built as NULL
and reported with the reason, never invented. Dependents of an uncovered tag are
uncovered too. Tables Portrait records itself (campaign contacts and responses) are
never missing: no rows there means no campaign has reached the customer yet.
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from portrait import schema
from portrait.store.engine import Engine
from portrait.tags.plan import BASE_TABLE, TIME_COLUMNS, Plan, fk_aliases


def _has_rows(engine: Engine, table: str, as_of: dt.date) -> bool:
    select = exp.select(exp.Literal.number(1)).from_(exp.to_table(table)).limit(1)
    time = TIME_COLUMNS.get(table)
    if time:
        day = exp.cast(exp.column(time), "DATE")
        select = select.where(exp.or_(exp.column(time).is_(exp.null()),
                                      exp.LTE(this=day, expression=exp.cast(
                                          exp.Literal.string(as_of.isoformat()), "DATE"))))
    return bool(engine.query(select))


def _has_values(engine: Engine, column: str, as_of: dt.date) -> bool:
    qualifier, _, name = column.rpartition(".")
    if qualifier:
        target = fk_aliases(schema.table(BASE_TABLE))[qualifier]
        select = exp.select(exp.Literal.number(1)).from_(exp.to_table(target.name)).where(
            exp.column(name).is_(exp.null()).not_()).limit(1)
    else:
        joined = exp.column("joined_at")
        select = exp.select(exp.Literal.number(1)).from_(exp.to_table(BASE_TABLE)).where(
            exp.and_(exp.column(name).is_(exp.null()).not_(),
                     exp.or_(joined.is_(exp.null()), exp.LTE(this=joined, expression=exp.cast(
                         exp.Literal.string(as_of.isoformat()), "DATE"))))).limit(1)
    return bool(engine.query(select))


def uncovered_tags(engine: Engine, plan: Plan, names: list[str], as_of: dt.date) -> dict[str, str]:
    """Map each uncovered tag among ``names`` (and their dependencies) to the reason."""
    reasons: dict[str, str] = {}
    tables: dict[str, bool] = {}
    columns: dict[str, bool] = {}
    for name in plan.closure(names):
        tag = plan.tags[name]
        if tag.spec.model is not None:
            reasons[name] = f"model {tag.spec.model.model!r} is not registered"
            continue
        for dep in tag.deps:
            if dep in reasons:
                reasons[name] = f"depends on uncovered tag {dep!r}"
                break
        if name in reasons:
            continue
        for table in sorted(tag.tables):
            if schema.table(table).recorded_here:
                continue  # written by Portrait itself: no rows = none happened
            if table not in tables:
                tables[table] = _has_rows(engine, table, as_of)
            if not tables[table]:
                reasons[name] = f"no {table} rows on or before {as_of.isoformat()}"
                break
        if name in reasons or tag.spec.expr is None:
            continue
        for column in sorted(tag.columns):
            if column not in columns:
                columns[column] = _has_values(engine, column, as_of)
            if not columns[column]:
                shown = column if "." in column else f"customers.{column}"
                reasons[name] = f"{shown} has no values"
                break
    return reasons
