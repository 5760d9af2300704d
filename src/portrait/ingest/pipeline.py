"""The ingest run: stage → validate → quarantine → protect PII → publish atomically."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from sqlglot import exp

from portrait.errors import DataRejectedError
from portrait.ingest import validate
from portrait.ingest.base import REJECTS, NoProgress, Progress, SourceAdapter, SourceSummary
from portrait.ingest.quarantine import REJECTS_COLUMNS, write_quarantine
from portrait.schema import TABLES, Table
from portrait.store import layout
from portrait.store.crypto import FieldCipher
from portrait.store.duckdb_engine import DuckDBEngine
from portrait.store.engine import Engine, PublishItem
from portrait.store.workspace import Workspace

DEFAULT_AS_OF = "default_as_of"


@dataclass
class TableCount:
    loaded: int
    quarantined: int


@dataclass
class IngestReport:
    """What an ingest run did, table by table."""

    run_id: str
    workspace: str
    source: SourceSummary
    tables: dict[str, TableCount] = field(default_factory=dict)
    quarantine_files: dict[str, str] = field(default_factory=dict)
    default_as_of: str | None = None
    published: bool = False

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "tables": {n: {"loaded": c.loaded, "quarantined": c.quarantined}
                       for n, c in self.tables.items()},
            "workspace": self.workspace,
            "run_id": self.run_id,
            "published": self.published,
            "default_as_of": self.default_as_of,
            "quarantine": self.quarantine_files,
            **self.source.as_dict(),
        }


def _pii_table(table: Table) -> str:
    return f"{layout.STAGING}.{table.name}__pii"


def _protect_pii(engine: DuckDBEngine, table: Table, cipher: FieldCipher) -> None:
    """Encrypt and tokenize the PII columns of the rows about to be published."""
    names = [c.name for c in table.pii_columns]
    rows = engine.query_arrow(
        exp.select(validate.RID, *names).from_(validate.valid_rows(table).subquery()))
    arrays: dict[str, pa.Array] = {validate.RID: rows.column(validate.RID)}
    for col in table.pii_columns:
        values = rows.column(col.name).to_pylist()
        context = f"{table.name}.{col.name}"
        arrays[col.name] = pa.array(cipher.encrypt(values, context=context), type=pa.binary())
        arrays[col.token_column] = pa.array(cipher.tokens(values), type=pa.string())
    engine.write_arrow(_pii_table(table), pa.table(arrays))


def _publish_select(table: Table) -> exp.Select:
    source = validate.valid_rows(table).subquery("r")
    columns: list[exp.Expr] = []
    for name, _ in layout.physical_columns(table):
        is_pii = any(name in (c.name, c.token_column) for c in table.pii_columns)
        columns.append(exp.column(name, table="p" if is_pii else "r"))
    select = exp.select(*columns).from_(source)
    if table.pii_columns:
        select = select.join(exp.alias_(exp.to_table(_pii_table(table)), "p", table=True),
                             on=exp.EQ(this=exp.column(validate.RID, table="r"),
                                       expression=exp.column(validate.RID, table="p")))
    return select


def run_ingest(
    workspace: Workspace,
    adapter: SourceAdapter,
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Load one source into the workspace's warehouse.

    Args:
        workspace: Target workspace.
        adapter: The source.
        strict: Publish nothing if any row is rejected.
        progress: Where to report progress.

    Returns:
        The run's report.

    Raises:
        SourceFormatError: A source file cannot be read at all; nothing is published.
        DataRejectedError: ``strict`` and some rows were rejected; nothing is published.
    """
    progress = progress or NoProgress()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    started = datetime.now(UTC)
    cipher = workspace.cipher()
    engine = workspace.engine()
    assert isinstance(engine, DuckDBEngine)  # staging needs the embedded engine's readers
    try:
        engine.reset_staging()
        engine.execute(layout.create_table("_rejects", REJECTS_COLUMNS, db_schema=layout.STAGING))
        summary = adapter.stage(engine, progress)
        staged = [t for t in TABLES if engine.has_table(f"{layout.STAGING}.{t.name}")]
        staged_names = {t.name for t in staged}
        report = IngestReport(run_id, str(workspace.root), summary)
        progress.start("Validating", total=len(staged))
        for table in staged:
            validate.validate_table(engine, table, staged_names)
            progress.advance()
        for table in staged:
            total = engine.query(exp.select(exp.func("count", exp.Star())).from_(
                exp.to_table(validate.typed_view(table))))[0][0]
            rejected = engine.query(
                f"SELECT count(*) FILTER (WHERE _rid IS NOT NULL), count(*) FROM {REJECTS} "
                "WHERE tbl = ?", [table.name])[0]
            report.tables[table.name] = TableCount(int(total - rejected[0]), int(rejected[1]))
        unstaged = engine.query(f"SELECT tbl, count(*) FROM {REJECTS} GROUP BY tbl")
        for name, count in unstaged:
            if name not in report.tables:
                report.tables[name] = TableCount(0, int(count))
        files = write_quarantine(engine, workspace.quarantine_dir, run_id)
        report.quarantine_files = {t: str(p) for t, p in files.items()}
        if strict and report.quarantined:
            raise DataRejectedError(
                f"{report.quarantined} row(s) rejected; --strict: nothing was published.",
                hint=f"See {workspace.quarantine_dir} for each row's file, row, field and reason.",
            )
        progress.start("Protecting personal data", total=None)
        for table in staged:
            if table.pii_columns:
                _protect_pii(engine, table, cipher)
        items = [PublishItem(t, _publish_select(t), report.tables[t.name].loaded) for t in staged]

        def finalize(eng: Engine) -> None:
            as_of = eng.query("SELECT CAST(max(ts) AS DATE) FROM main.transactions")[0][0]
            if as_of is not None:
                report.default_as_of = as_of.isoformat()
                eng.set_meta(DEFAULT_AS_OF, report.default_as_of)
            report.published = True
            eng.execute(f"INSERT INTO main.{layout.RUNS_TABLE} VALUES (?, ?, ?, ?, ?)",
                        [run_id, summary.source, started.replace(tzinfo=None),
                         datetime.now(UTC).replace(tzinfo=None), json.dumps(report.as_dict())])

        progress.start("Publishing", total=None)
        engine.publish(items, finalize)
        return report
    finally:
        try:
            engine.reset_staging()
            engine.execute(f"DROP SCHEMA IF EXISTS {layout.STAGING} CASCADE")
        finally:
            engine.close()
