"""The latest tag snapshot held in memory for serving one customer's row at a time.

A snapshot row is wide (one column per tag, 150 or so). Even through an index, DuckDB
reads a row by decompressing a block of every column, which costs milliseconds per
profile; a profile server answers many a second. So a serving session loads the
snapshot once (:class:`~portrait.services.held_columns.HeldRows`: each type's columns
packed row-major, so a row is read in a few calls) and finds a row by its position in a
dict of customer ids — a keyed lookup that never scans. A rebuilt snapshot is
loaded again when the session notices it (see ``Session.snapshot``).
"""

from __future__ import annotations

import threading
from typing import Any

from sqlglot import exp

from portrait.services.customer_rows import positions
from portrait.services.held_columns import HeldRows
from portrait.store.engine import Engine

KEY = "customer_id"


class SnapshotRows:
    """One snapshot's rows, by customer id.

    Args:
        engine: The warehouse.
        table: The snapshot table.
        columns: The tag columns to hold (covered tags of the catalog).
    """

    def __init__(self, engine: Engine, table: str, columns: tuple[str, ...]) -> None:
        self.table = table
        self.columns = columns
        select = exp.select(exp.column(KEY), *[exp.column(c, quoted=True) for c in columns]
                            ).from_(exp.to_table(table)).order_by(exp.column(KEY))
        data = engine.query_arrow(select)
        self._position = positions(data.column(KEY).to_pylist())
        self._rows = HeldRows({name: data.column(name) for name in columns})

    @property
    def nbytes(self) -> int:
        return self._rows.nbytes

    def __len__(self) -> int:
        return len(self._position)

    def row(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's tag values, or ``None`` when the snapshot does not hold them."""
        i = self._position.get(customer_id)
        return None if i is None else self._rows.row(i)


class RowsCache:
    """Holds the :class:`SnapshotRows` of the latest snapshot; thread-safe."""

    def __init__(self) -> None:
        self._rows: SnapshotRows | None = None
        self._key: tuple[str, Any] | None = None
        self._lock = threading.Lock()

    def get(self, engine: Engine, snap: dict[str, Any], columns: tuple[str, ...]) -> SnapshotRows:
        key = (str(snap["table"]), snap["built_at"])
        with self._lock:
            if self._rows is None or self._key != key or self._rows.columns != columns:
                self._rows = SnapshotRows(engine, str(snap["table"]), columns)
                self._key = key
            return self._rows
