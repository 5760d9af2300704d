"""The warehouse seen through a small protocol, and the registry of engines.

Features ask an engine for what it can do (its capability flags) and never branch on
its name. SQL reaches an engine as a sqlglot syntax tree (or text already in the
engine's dialect) and is rendered with the engine's ``dialect`` at the last moment.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from sqlglot import exp

from portrait.errors import UsageError
from portrait.schema import Table

#: The engine keeps data in a file and commits several statements atomically.
CAP_TRANSACTIONS = "transactions"
#: The engine can stage and validate loads (ingest runs on it).
CAP_INGEST = "ingest"
#: The engine reads and writes Parquet files directly.
CAP_PARQUET = "parquet"
#: The engine computes over tables it reads from another warehouse (``materialize``).
CAP_COMPUTE = "compute"

Sql = exp.Expr | str


@dataclass(frozen=True)
class PublishItem:
    """One canonical table to publish from staging.

    Attributes:
        table: The canonical table.
        select: Query over staging that yields the table's physical columns, in order.
        rows: Number of rows the query yields (for the report).
    """

    table: Table
    select: Sql
    rows: int


class Engine(Protocol):
    """What the rest of Portrait needs from a warehouse."""

    name: str
    dialect: str
    capabilities: frozenset[str]

    def execute(self, sql: Sql, params: Sequence[Any] | None = None) -> None:
        """Run a statement that returns nothing."""
        ...

    def query(self, sql: Sql, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows."""
        ...

    def query_arrow(self, sql: Sql, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return an Arrow table."""
        ...

    def write_arrow(self, name: str, data: pa.Table, *, append: bool = False) -> None:
        """Create (or append to) table ``name`` from Arrow data."""
        ...

    def has_table(self, name: str) -> bool: ...

    def columns(self, name: str) -> dict[str, str]:
        """Column names of ``name`` (qualified as ``schema.table``) and their SQL types."""
        ...

    def ensure_canonical_tables(self) -> None:
        """Create any canonical table that does not exist yet."""
        ...

    def reset_staging(self) -> None:
        """Drop everything left in staging by an earlier run, finished or not."""
        ...

    def publish(self, items: Sequence[PublishItem], finalize: Callable[[Engine], None]) -> None:
        """Upsert every item into its canonical table in one transaction.

        ``finalize`` runs inside the same transaction (run log, metadata). Either all of
        it becomes visible or none of it does.
        """
        ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def materialize(self, sql: str, inputs: Sequence[str], warehouse: Engine, target: str) -> None:
        """Run ``sql`` (in this engine's dialect) over the warehouse's tables ``inputs`` and
        write the result to the warehouse as table ``target``."""
        ...

    def close(self) -> None: ...


EngineFactory = Callable[[Path, dict[str, Any]], Engine]
_REGISTRY: dict[str, EngineFactory] = {}


def register_engine(name: str, factory: EngineFactory) -> None:
    _REGISTRY[name] = factory


def engine_names() -> list[str]:
    return sorted(_REGISTRY)


def open_engine(name: str, path: Path, options: dict[str, Any] | None = None) -> Engine:
    """Open the engine called ``name`` on the warehouse at ``path``.

    Raises:
        UsageError: No engine has that name; the message suggests the closest one.
    """
    try:
        factory = _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"Did you mean {close[0]!r}?" if close else f"Engines: {', '.join(_REGISTRY)}"
        raise UsageError(f"Unknown engine {name!r}.", hint=hint) from None
    return factory(path, options or {})
