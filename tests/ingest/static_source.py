"""A source adapter over hand-made tables, for tests of the shared pipeline."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from portrait.ingest.base import Progress, SourceSummary
from portrait.store.duckdb_engine import DuckDBEngine


class StaticSource:
    """Stages the given rows (dicts with canonical column names) as they are."""

    name = "static"

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = tables

    def stage(self, engine: DuckDBEngine, progress: Progress) -> SourceSummary:
        for table, rows in self.tables.items():
            columns = list(dict.fromkeys(k for r in rows for k in r))
            data = {
                "_source_file": [f"{table}.csv"] * len(rows),
                "_source_row": list(range(2, len(rows) + 2)),
                **{c: [r.get(c) for r in rows] for c in columns},
            }
            engine.write_arrow(f"staging.{table}", pa.table(data))
        return SourceSummary(self.name)
