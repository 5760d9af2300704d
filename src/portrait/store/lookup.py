"""Point lookups by customer: an index so that reading one customer's row does not scan.

The customers table and each tag snapshot are read one customer at a time when a
profile is served. DuckDB keeps min/max statistics per row group, which prune a scan
only when rows happen to be stored in key order; an ART index makes the lookup a
keyed one whatever the order. Indexes are created on first use by whoever serves
lookups (``IF NOT EXISTS``, so it is cheap to ask again) and vanish with their table
when a snapshot is rebuilt.
"""

from __future__ import annotations

import re

from sqlglot import exp

from portrait.store.engine import Engine

KEY = "customer_id"
_UNSAFE = re.compile(r"[^a-z0-9_]")


def index_name(table: str) -> str:
    return f"lookup__{_UNSAFE.sub('_', table.lower())}"


def ensure_index(engine: Engine, table: str, column: str = KEY) -> None:
    """Create the lookup index on ``table(column)`` if it is not there yet."""
    engine.execute(exp.Create(
        this=exp.Index(this=exp.to_identifier(index_name(table)), table=exp.to_table(table),
                       params=exp.IndexParameters(columns=[exp.column(column)])),
        kind="INDEX", exists=True))
