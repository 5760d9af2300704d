"""Row validation against the canonical schema.

For each staged table the checks are compiled into one SQL pass (types, required
values, enumerations, ranges, JSON, references to parent tables, duplicate keys);
every failing row is written to ``staging._rejects`` with its source file and row, the
first failing field and all reasons. Nothing is dropped silently: a row is either
published or quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from portrait.ingest.base import REJECT_FIELD, REJECT_REASON, REJECTS, SOURCE_FILE, SOURCE_ROW
from portrait.schema import SQL_TYPES, TABLES, Column, ColumnType, Table
from portrait.store import layout
from portrait.store.duckdb_engine import DuckDBEngine

RID = "_rid"
_TEXT = "VARCHAR"
_LIST_PREVIEW = 12


def typed_view(table: Table) -> str:
    return f"{layout.STAGING}.{table.name}__typed"


def keys_table(table: Table) -> str:
    return f"{layout.STAGING}.{table.name}__keys"


def _lit(value: object) -> exp.Expr:
    if isinstance(value, str):
        return exp.Literal.string(value)
    return exp.Literal.number(value)


def _text(node: exp.Expr) -> exp.Expr:
    return exp.cast(node, "VARCHAR")


def _concat(*parts: exp.Expr | str) -> exp.Expr:
    return exp.Concat(
        expressions=[exp.Literal.string(p) if isinstance(p, str) else p for p in parts],
        safe=True,
    )


@dataclass(frozen=True)
class Check:
    """One rule: rows where ``fails`` holds are rejected with ``reason`` on ``field``."""

    field: str
    fails: exp.Expr
    reason: exp.Expr


def _raw(name: str) -> str:
    return f"{name}__raw"


def build_typed_view(engine: DuckDBEngine, table: Table) -> set[str]:
    """Create a view of the staged rows with every column cast to its canonical type.

    Returns the names of columns that arrived as text and were cast (their raw text
    stays beside them as ``<col>__raw`` for error messages).
    """
    staged = engine.columns(f"{layout.STAGING}.{table.name}")
    projections: list[exp.Expr] = [
        exp.alias_(exp.column("rowid"), RID),
        exp.column(SOURCE_FILE),
        exp.column(SOURCE_ROW),
    ]
    for extra in (REJECT_FIELD, REJECT_REASON):
        value = exp.column(extra) if extra in staged else exp.cast(exp.null(), _TEXT)
        projections.append(exp.alias_(value, extra))
    cast_from_text: set[str] = set()
    for col in table.columns:
        target = SQL_TYPES[col.type]
        if col.name not in staged:
            projections.append(exp.alias_(exp.cast(exp.null(), target), col.name))
            continue
        source = exp.column(col.name)
        if staged[col.name] == _TEXT:
            cleaned = exp.func("nullif", exp.func("trim", source), exp.Literal.string(""))
            if target == _TEXT:
                projections.append(exp.alias_(cleaned, col.name))
                continue
            cast_from_text.add(col.name)
            projections.append(exp.alias_(exp.TryCast(this=cleaned, to=exp.DataType.build(target)),
                                          col.name))
            projections.append(exp.alias_(cleaned, _raw(col.name)))
        elif staged[col.name] == target:
            projections.append(source)
        else:
            projections.append(exp.alias_(exp.cast(source, target), col.name))
    select = exp.select(*projections).from_(exp.to_table(f"{layout.STAGING}.{table.name}"))
    engine.execute(exp.Create(this=exp.to_table(typed_view(table)), kind="VIEW",
                              expression=select, replace=True))
    return cast_from_text


def column_checks(col: Column, cast_from_text: bool) -> list[Check]:
    """The checks one column's values must pass."""
    c = exp.column(col.name, table="v")
    checks: list[Check] = []
    if cast_from_text:
        raw = exp.column(_raw(col.name), table="v")
        checks.append(Check(
            col.name,
            exp.and_(raw.is_(exp.null()).not_(), c.is_(exp.null())),
            _concat(f"not a valid {col.type.value}: '", raw, "'"),
        ))
    if col.required:
        missing: exp.Expr = c.is_(exp.null())
        if cast_from_text:
            missing = exp.and_(missing, exp.column(_raw(col.name), table="v").is_(exp.null()))
        checks.append(Check(col.name, missing, exp.Literal.string("required value is missing")))
    if col.enum:
        allowed = ", ".join(col.enum)
        if len(col.enum) > _LIST_PREVIEW:
            allowed = ", ".join(col.enum[:_LIST_PREVIEW]) + ", …"
        checks.append(Check(
            col.name,
            exp.not_(c.isin(*[exp.Literal.string(v) for v in col.enum])),
            _concat("value '", c, f"' is not one of: {allowed}"),
        ))
    is_date = col.type in (ColumnType.DATE, ColumnType.TIMESTAMP)
    for bound, op, word in ((col.min, exp.LT, "below the minimum"),
                            (col.max, exp.GT, "above the maximum")):
        if bound is None:
            continue
        limit = exp.cast(_lit(bound), SQL_TYPES[col.type]) if is_date else _lit(bound)
        checks.append(Check(col.name, op(this=c, expression=limit),
                            _concat("value ", _text(c), f" is {word} {bound}")))
    return checks


def _reference_checks(engine: DuckDBEngine, table: Table, staged_now: set[str]
                      ) -> tuple[list[Check], list[exp.Join]]:
    checks: list[Check] = []
    joins: list[exp.Join] = []
    for n, fk in enumerate(table.references):
        alias = f"p{n}"
        parents: exp.Query = exp.select(exp.alias_(exp.column(fk.target), "k")).from_(
            exp.to_table(f"main.{fk.table}"))
        if fk.table in staged_now:
            parents = exp.union(parents, exp.select("k").from_(exp.to_table(
                f"{layout.STAGING}.{fk.table}__keys")), distinct=True)
        else:
            parents = exp.select("k").from_(parents.subquery()).distinct()
        joins.append(exp.Join(
            this=exp.alias_(parents.subquery(), alias, table=True),
            side="LEFT",
            on=exp.EQ(this=exp.column(fk.column, table="v"), expression=exp.column("k", table=alias)),
        ))
        checks.append(Check(
            fk.column,
            exp.and_(exp.column(fk.column, table="v").is_(exp.null()).not_(),
                     exp.column("k", table=alias).is_(exp.null())),
            _concat(f"refers to a {fk.table}.{fk.target} that does not exist: '",
                    exp.column(fk.column, table="v"), "'"),
        ))
    del engine
    return checks, joins


def _duplicate_check(engine: DuckDBEngine, table: Table) -> tuple[Check, exp.Join]:
    keys = [exp.column(k) for k in table.key]
    dups = f"{layout.STAGING}.{table.name}__dups"
    engine.execute(exp.Create(
        this=exp.to_table(dups), kind="TABLE", replace=True,
        expression=exp.select(*keys, exp.alias_(exp.func("min", exp.column(RID)), "first_rid"),
                              exp.alias_(exp.func("min", exp.column(SOURCE_ROW)), "first_row"))
        .from_(exp.to_table(typed_view(table)))
        .where(exp.and_(*[k.is_(exp.null()).not_() for k in keys]))
        .group_by(*keys)
        .having(exp.GT(this=exp.func("count", exp.Star()), expression=exp.Literal.number(1))),
    ))
    on = exp.and_(*[exp.EQ(this=exp.column(k, table="v"), expression=exp.column(k, table="d"))
                    for k in table.key])
    join = exp.Join(this=exp.alias_(exp.to_table(dups), "d", table=True), side="LEFT", on=on)
    check = Check(
        ", ".join(table.key),
        exp.and_(exp.column("first_rid", table="d").is_(exp.null()).not_(),
                 exp.NEQ(this=exp.column(RID, table="v"),
                         expression=exp.column("first_rid", table="d"))),
        _concat("duplicate key (first seen at row ", _text(exp.column("first_row", table="d")), ")"),
    )
    return check, join


def _record(table: Table, staged: dict[str, str]) -> exp.Expr:
    """The rejected row as JSON, with PII masked so quarantine never holds it in clear."""
    pairs: list[exp.Expr] = []
    for name in staged:
        if name.startswith("_"):
            continue
        value: exp.Expr = exp.column(name, table="s")
        if name in {c.name for c in table.pii_columns}:
            value = exp.If(this=value.is_(exp.null()), true=exp.null(),
                           false=exp.Literal.string("***"))
        pairs.append(exp.PropertyEQ(this=exp.to_identifier(name), expression=value))
    return exp.func("to_json", exp.Struct(expressions=pairs))


def validate_table(engine: DuckDBEngine, table: Table, staged_now: set[str]) -> int:
    """Validate ``staging.<table>``; append failures to the rejects table.

    Args:
        engine: Warehouse holding the staging schema.
        table: Canonical table being loaded.
        staged_now: Names of all tables staged in this run (parents validated already).

    Returns:
        Number of rows rejected.
    """
    staged = engine.columns(f"{layout.STAGING}.{table.name}")
    cast_from_text = build_typed_view(engine, table)
    checks = [Check(REJECT_FIELD, exp.column(REJECT_REASON, table="v").is_(exp.null()).not_(),
                    exp.column(REJECT_REASON, table="v"))]
    ref_checks, joins = _reference_checks(engine, table, staged_now)
    for col in table.columns:
        checks.extend(column_checks(col, col.name in cast_from_text))
        # a broken reference is usually the root cause of what else fails in the row
        checks.extend(c for c in ref_checks if c.field == col.name)
    dup_check, dup_join = _duplicate_check(engine, table)
    checks.append(dup_check)
    joins.append(dup_join)

    failures = [exp.alias_(exp.If(this=c.fails, true=c.reason), f"f{i}")
                for i, c in enumerate(checks)]
    scan = exp.select(exp.column(RID, table="v"), exp.column(SOURCE_FILE, table="v"),
                      exp.column(SOURCE_ROW, table="v"), exp.column(REJECT_FIELD, table="v"),
                      *failures).from_(
        exp.alias_(exp.to_table(typed_view(table)), "v", table=True))
    for join in joins:
        scan = scan.join(join)
    fnames = [exp.column(f"f{i}") for i in range(len(checks))]
    field = exp.Case()
    for i, c in enumerate(checks):
        field = field.when(fnames[i].is_(exp.null()).not_(),
                           exp.column(REJECT_FIELD, table="f") if c.field == REJECT_FIELD
                           else exp.Literal.string(c.field))
    failed = (
        exp.select(
            exp.Literal.string(table.name), exp.column(RID, table="f"),
            exp.column(SOURCE_FILE, table="f"), exp.column(SOURCE_ROW, table="f"), field,
            exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string("; "), *fnames]),
            _record(table, staged),
        )
        .from_(exp.alias_(scan.subquery(), "f", table=True))
        .join(exp.alias_(exp.to_table(f"{layout.STAGING}.{table.name}"), "s", table=True),
              on=exp.EQ(this=exp.column("rowid", table="s"), expression=exp.column(RID, table="f")))
        .where(exp.func("coalesce", *fnames).is_(exp.null()).not_())
    )
    before = engine.query(f"SELECT count(*) FROM {REJECTS}")[0][0]
    engine.execute(exp.insert(failed, exp.to_table(REJECTS)))
    after = engine.query(f"SELECT count(*) FROM {REJECTS}")[0][0]
    if any(fk.table == table.name for t in TABLES for fk in t.references):
        _write_valid_keys(engine, table)
    return int(after - before)


def valid_rows(table: Table) -> exp.Select:
    """Rows of the typed view that passed every check."""
    rejected = exp.select(RID).from_(exp.to_table(REJECTS)).where(
        exp.and_(exp.EQ(this=exp.column("tbl"), expression=exp.Literal.string(table.name)),
                 exp.column(RID).is_(exp.null()).not_()))
    return exp.select("*").from_(exp.alias_(exp.to_table(typed_view(table)), "v", table=True)).where(
        exp.not_(exp.column(RID, table="v").isin(query=rejected)))


def _write_valid_keys(engine: DuckDBEngine, table: Table) -> None:
    key = table.key[0]
    engine.execute(exp.Create(
        this=exp.to_table(keys_table(table)), kind="TABLE", replace=True,
        expression=exp.select(exp.alias_(exp.column(key), "k")).from_(valid_rows(table).subquery()),
    ))
