"""Quarantine: rejected rows kept with their reasons, one Parquet file per table.

Each run appends its rejects to ``quarantine/<table>.parquet`` (columns ``run_id``,
``source_file``, ``source_row``, ``field``, ``reason``, ``record``), so nothing rejected
is ever lost; PII inside ``record`` is masked.
"""

from __future__ import annotations

from pathlib import Path

from portrait.ingest.base import REJECTS
from portrait.store.duckdb_engine import DuckDBEngine

REJECTS_COLUMNS = [
    ("tbl", "VARCHAR"),
    ("_rid", "BIGINT"),
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("field", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("record", "JSON"),
]


def write_quarantine(engine: DuckDBEngine, folder: Path, run_id: str) -> dict[str, Path]:
    """Append this run's rejects to the quarantine files; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    tables = [r[0] for r in engine.query(f"SELECT DISTINCT tbl FROM {REJECTS} ORDER BY 1")]
    for table in tables:
        path = folder / f"{table}.parquet"
        tmp = path.with_suffix(".parquet.tmp")
        new = (
            "SELECT ? AS run_id, source_file, source_row, field, reason, CAST(record AS VARCHAR) "
            f"AS record FROM {REJECTS} WHERE tbl = ?"
        )
        params: list[object] = [run_id, table]
        if path.exists():
            new = f"SELECT * FROM read_parquet(?) UNION ALL ({new})"
            params = [str(path), *params]
        engine.execute(f"COPY ({new} ORDER BY ALL) TO '{_quote(tmp)}' (FORMAT parquet)", params)
        tmp.replace(path)
        written[table] = path
    return written


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
