"""The embedded engine: one DuckDB file per workspace."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from portrait.errors import ConfigError
from portrait.schema import TABLES
from portrait.store import layout
from portrait.store.engine import (
    CAP_INGEST,
    CAP_PARQUET,
    CAP_TRANSACTIONS,
    Engine,
    PublishItem,
    Sql,
    register_engine,
)

#: Test-only fault injection: ``publish:<n>`` kills the process after the n-th table
#: of a publish has been written, before commit, to prove a killed run changes nothing.
FAULT_ENV = "PORTRAIT_FAULT"


def _render(sql: Sql) -> str:
    return sql if isinstance(sql, str) else sql.sql(dialect="duckdb")


class DuckDBEngine:
    """Warehouse in a single DuckDB database file."""

    name = "duckdb"
    dialect = "duckdb"
    capabilities = frozenset({CAP_TRANSACTIONS, CAP_INGEST, CAP_PARQUET})

    def __init__(self, path: Path, options: dict[str, Any]) -> None:
        config: dict[str, Any] = {}
        if options.get("memory_limit"):
            config["memory_limit"] = str(options["memory_limit"])
        if options.get("threads"):
            config["threads"] = int(options["threads"])
        try:
            self._con = duckdb.connect(str(path), config=config)
        except duckdb.IOException as exc:
            raise ConfigError(
                f"Cannot open the warehouse {path}: {exc}",
                hint="Another Portrait process may be using this workspace.",
            ) from exc
        self.path = path

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw connection, for adapters that read files with DuckDB's readers."""
        return self._con

    def execute(self, sql: Sql, params: Sequence[Any] | None = None) -> None:
        self._con.execute(_render(sql), params)

    def query(self, sql: Sql, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self._con.execute(_render(sql), params).fetchall()

    def query_arrow(self, sql: Sql, params: Sequence[Any] | None = None) -> pa.Table:
        relation = self._con.sql(_render(sql), params=params)
        # DuckDB 2 renamed ``arrow()`` to ``to_arrow_table()``.
        fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
        table: pa.Table = fetch()
        return table

    def write_arrow(self, name: str, data: pa.Table, *, append: bool = False) -> None:
        self._con.register("__portrait_arrow", data)
        try:
            target = exp.to_table(name).sql(dialect="duckdb")
            if append and self.has_table(name):
                self._con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM __portrait_arrow")
            else:
                self._con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM __portrait_arrow")
        finally:
            self._con.unregister("__portrait_arrow")

    def has_table(self, name: str) -> bool:
        schema, _, table = name.rpartition(".")
        rows = self._con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema or "main", table],
        ).fetchall()
        return bool(rows)

    def columns(self, name: str) -> dict[str, str]:
        schema, _, table = name.rpartition(".")
        rows = self._con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema or "main", table],
        ).fetchall()
        return {str(c): str(t) for c, t in rows}

    def ensure_canonical_tables(self) -> None:
        for table in TABLES:
            self.execute(layout.ddl(table))
        self.execute(layout.create_table(layout.META_TABLE, layout.META_COLUMNS))
        self.execute(layout.create_table(layout.RUNS_TABLE, layout.RUNS_COLUMNS))

    def reset_staging(self) -> None:
        self._con.execute(f"DROP SCHEMA IF EXISTS {layout.STAGING} CASCADE")
        self._con.execute(f"CREATE SCHEMA {layout.STAGING}")

    def publish(self, items: Sequence[PublishItem], finalize: Callable[[Engine], None]) -> None:
        fault = os.environ.get(FAULT_ENV, "")
        kill_after = int(fault.split(":")[1]) if fault.startswith("publish:") else -1
        self._con.execute("BEGIN TRANSACTION")
        try:
            for n, item in enumerate(items, start=1):
                self._upsert(item)
                if n == kill_after:
                    os.kill(os.getpid(), signal.SIGKILL)
            finalize(self)
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise

    def _upsert(self, item: PublishItem) -> None:
        """Replace rows with the same key, insert the rest (re-loading is idempotent)."""
        target = exp.to_table(f"main.{item.table.name}")
        names = [c for c, _ in layout.physical_columns(item.table)]
        select = exp.maybe_parse(item.select, dialect="duckdb")
        count = exp.select(exp.func("count", exp.Star())).from_(target)
        if not self.query(count)[0][0]:
            self.execute(exp.insert(select, target, columns=names))
            return
        incoming = exp.to_table("__incoming")
        self.execute(exp.Create(this=incoming, kind="TABLE", expression=select,
                                properties=exp.Properties(expressions=[exp.TemporaryProperty()])))
        try:
            keys: list[exp.Expr] = [exp.column(k) for k in item.table.key]
            lhs = keys[0] if len(keys) == 1 else exp.Tuple(expressions=keys)
            sub = exp.select(*keys).from_(exp.to_table("__incoming"))
            self.execute(exp.delete(target, where=exp.In(this=lhs, query=sub.subquery())))
            self.execute(exp.insert(exp.select("*").from_(exp.to_table("__incoming")), target,
                                    columns=names))
        finally:
            self.execute(exp.Drop(tables=[exp.to_table("__incoming")], kind="TABLE"))

    def get_meta(self, key: str) -> str | None:
        if not self.has_table(f"main.{layout.META_TABLE}"):
            return None
        # fetchall: a half-read result (fetchone) blocks the connection's next query
        rows = self._con.execute(
            f"SELECT value FROM main.{layout.META_TABLE} WHERE key = ?", [key]
        ).fetchall()
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._con.execute(f"DELETE FROM main.{layout.META_TABLE} WHERE key = ?", [key])
        self._con.execute(f"INSERT INTO main.{layout.META_TABLE} VALUES (?, ?)", [key, value])

    def materialize(self, sql: str, inputs: Sequence[str], warehouse: Engine, target: str) -> None:
        if warehouse is not self:
            raise NotImplementedError("the DuckDB engine computes over its own warehouse only")
        self.execute(f"CREATE OR REPLACE TABLE {exp.to_table(target).sql('duckdb')} AS {sql}")

    def export_parquet(self, table: str, path: Path) -> None:
        """Write a table to a Parquet file (for engines that read the warehouse's tables)."""
        target = str(path).replace("'", "''")
        self.execute(f"COPY {exp.to_table(table).sql('duckdb')} TO '{target}' (FORMAT parquet)")

    def import_parquet(self, path: Path, table: str) -> None:
        """Create (or replace) a table from Parquet files (a file or a folder of parts)."""
        source = str(path / "*.parquet" if path.is_dir() else path).replace("'", "''")
        self.execute(f"CREATE OR REPLACE TABLE {exp.to_table(table).sql('duckdb')} AS "
                     f"SELECT * FROM read_parquet('{source}')")

    def close(self) -> None:
        self._con.close()


register_engine("duckdb", DuckDBEngine)
