"""What a profile reads about one customer, held in memory for a serving session.

A profile shows the customer's record, holdings, latest events and transactions and the
latest consent per purpose. Read from the warehouse, that is five point queries of a
millisecond or more each (DuckDB decompresses a block per column even through an
index), which caps one server at a few dozen profiles a second. A serving session
therefore loads these rows once, sorted by customer id, into Arrow arrays:

* ``customers`` — every row, as stored (PII stays encrypted; it is decrypted per view);
* ``holdings`` — every row;
* ``events`` / ``transactions`` — only the latest :data:`RECENT` rows per customer
  (a top-N per group, so the big tables are aggregated once, never sorted whole);
* ``consents`` — the latest row per customer and purpose.

A customer's rows in a table are a contiguous slice; the slice bounds are found once
at load (two binary searches of the customers' ids against the table's ids), so a
lookup is a dict lookup of the customer's position and an index into a few arrays
(held as :class:`~portrait.services.held_columns.HeldColumn`, quick to turn into Python
values; decimals are read as their floats).
Rows written through the session afterwards (a correction, an erasure) mark the
customer *changed*: from then on that customer is read from the warehouse again
(:meth:`CustomerRows.changed`). Nothing else writes these tables while a server holds
the warehouse.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from portrait import schema
from portrait.services.held_columns import HeldColumn, HeldRows
from portrait.store.engine import Engine
from portrait.store.layout import physical_columns

KEY = "customer_id"
RECENT = 10
HOLDINGS = ("holding_id", "product_id", "start_at", "end_at", "amount", "status")
EVENTS = ("ts", "channel", "type", "product_id")
TRANSACTIONS = ("ts", "amount", "channel", "kind", "counterparty")
CONSENTS = ("purpose", "granted", "ts", "source")


def _columns(names: tuple[str, ...]) -> list[exp.Expr]:
    return [exp.column(KEY), *[exp.column(c, quoted=True) for c in names]]


def _all_rows(table: str, names: tuple[str, ...]) -> exp.Select:
    return exp.select(*_columns(names)).from_(exp.to_table(table)).order_by(exp.column(KEY))


def _latest_rows(table: str, names: tuple[str, ...], partition: tuple[str, ...], n: int
                 ) -> exp.Select:
    """The latest ``n`` rows per ``partition`` (by ``ts``), ordered by customer, newest first."""
    rank = exp.Window(this=exp.func("row_number"),
                      partition_by=[exp.column(c) for c in partition],
                      order=exp.Order(expressions=[exp.Ordered(this=exp.column("ts"), desc=True)]))
    return (exp.select(*_columns(names)).from_(exp.to_table(table))
            .qualify(exp.LTE(this=rank, expression=exp.Literal.number(n)))
            .order_by(exp.column(KEY), exp.Ordered(this=exp.column("ts"), desc=True)))


def positions(keys: Sequence[str]) -> dict[str, int]:
    """Customer id → row position: a dict lookup (~1 µs) rather than a binary search of a
    numpy array of ids (several µs, in a call that releases the interpreter lock)."""
    return {k: i for i, k in enumerate(keys)}


class _Slices:
    """One table's rows, grouped by customer, with each customer's slice bounds."""

    def __init__(self, data: pa.Table, keys: np.ndarray, names: tuple[str, ...]) -> None:
        own = np.asarray(data.column(KEY).to_numpy(zero_copy_only=False), dtype=keys.dtype)
        self.starts = np.searchsorted(own, keys, side="left")
        self.ends = np.searchsorted(own, keys, side="right")
        del own
        self.names = names
        self.columns = [HeldColumn(data.column(name)) for name in names]
        self.nbytes = (sum(c.nbytes for c in self.columns) + self.starts.nbytes
                       + self.ends.nbytes)

    def rows(self, i: int) -> list[dict[str, Any]]:
        lo, hi = int(self.starts[i]), int(self.ends[i])
        if lo == hi:
            return []
        values = [column.slice(lo, hi) for column in self.columns]
        return [dict(zip(self.names, row, strict=True)) for row in zip(*values, strict=True)]


class CustomerRows:
    """The rows a profile reads, for every customer, loaded from the warehouse once.

    Args:
        engine: The warehouse.
        recent: How many of the latest events and transactions to keep per customer.
    """

    def __init__(self, engine: Engine, *, recent: int = RECENT) -> None:
        self.recent = recent
        self.customer_columns = tuple(c for c, _ in physical_columns(schema.table("customers"))
                                      if c != KEY)
        customers = engine.query_arrow(_all_rows("customers", self.customer_columns))
        self._keys = np.asarray(customers.column(KEY).to_numpy(zero_copy_only=False), dtype=str)
        self._position = positions(self._keys.tolist())
        # one row per customer, in the same order as the ids: position i is row i
        self._customers = HeldRows({c: customers.column(c) for c in self.customer_columns})
        del customers
        self._tables = {
            "holdings": _Slices(engine.query_arrow(_all_rows("holdings", HOLDINGS)),
                                self._keys, HOLDINGS),
            "events": _Slices(engine.query_arrow(_latest_rows("events", EVENTS, (KEY,), recent)),
                              self._keys, EVENTS),
            "transactions": _Slices(engine.query_arrow(
                _latest_rows("transactions", TRANSACTIONS, (KEY,), recent)), self._keys,
                TRANSACTIONS),
            "consents": _Slices(engine.query_arrow(
                _latest_rows("consents", CONSENTS, (KEY, "purpose"), 1)), self._keys, CONSENTS),
        }
        self._changed: set[str] = set()
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """The Arrow and numpy data held (the id → position dict not counted)."""
        return (self._keys.nbytes + self._customers.nbytes
                + sum(t.nbytes for t in self._tables.values()))

    def __len__(self) -> int:
        return len(self._keys)

    def changed(self, customer_id: str) -> None:
        """Stop serving this customer from memory (their rows were written since loading)."""
        with self._lock:
            self._changed.add(customer_id)

    def _index(self, customer_id: str) -> int | None:
        if customer_id in self._changed:
            return None
        return self._position.get(customer_id)

    def serves(self, customer_id: str) -> bool:
        """Whether this customer's rows can be read from memory (else: ask the warehouse)."""
        return self._index(customer_id) is not None

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's record as stored (PII encrypted), or ``None`` if not served."""
        i = self._index(customer_id)
        if i is None:
            return None
        return {KEY: customer_id, **self._customers.row(i)}

    def rows(self, table: str, customer_id: str) -> list[dict[str, Any]] | None:
        """The customer's rows of ``table`` (newest first for events and transactions)."""
        i = self._index(customer_id)
        return None if i is None else self._tables[table].rows(i)


class CustomerRowsHolder:
    """Holds one :class:`CustomerRows` for a session; loaded on demand, thread-safe."""

    def __init__(self) -> None:
        self._rows: CustomerRows | None = None
        self._lock = threading.Lock()

    def load(self, engine: Engine) -> CustomerRows:
        with self._lock:
            if self._rows is None:
                self._rows = CustomerRows(engine)
            return self._rows

    def get(self) -> CustomerRows | None:
        return self._rows

    def changed(self, customer_id: str) -> None:
        rows = self._rows
        if rows is not None:
            rows.changed(customer_id)
