"""How canonical tables are laid out physically in the warehouse.

A PII column ``x`` is stored as ciphertext (``x``, binary) plus its keyed token
(``x_token``); every other column keeps its logical type.
"""

from __future__ import annotations

from sqlglot import exp

from portrait.schema import SQL_TYPES, Table

STAGING = "staging"
META_TABLE = "_meta"
RUNS_TABLE = "_ingest_runs"


def physical_columns(table: Table) -> list[tuple[str, str]]:
    """Physical (name, SQL type) pairs of a canonical table, in order."""
    cols: list[tuple[str, str]] = []
    for col in table.columns:
        if col.pii:
            cols.append((col.name, "BLOB"))
            cols.append((col.token_column, "VARCHAR"))
        else:
            cols.append((col.name, SQL_TYPES[col.type]))
    return cols


def create_table(name: str, columns: list[tuple[str, str]], *, db_schema: str = "main") -> exp.Create:
    """``CREATE TABLE IF NOT EXISTS`` statement for ``columns``."""
    schema = exp.Schema(
        this=exp.to_table(f"{db_schema}.{name}"),
        expressions=[
            exp.ColumnDef(this=exp.to_identifier(c), kind=exp.DataType.build(t, dialect="duckdb"))
            for c, t in columns
        ],
    )
    return exp.Create(this=schema, kind="TABLE", exists=True)


def ddl(table: Table) -> exp.Create:
    return create_table(table.name, physical_columns(table))


META_COLUMNS = [("key", "VARCHAR"), ("value", "VARCHAR")]
RUNS_COLUMNS = [
    ("run_id", "VARCHAR"),
    ("source", "VARCHAR"),
    ("started_at", "TIMESTAMP"),
    ("finished_at", "TIMESTAMP"),
    ("summary", "JSON"),
]
