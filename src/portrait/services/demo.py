"""The demo: a synthetic bank through the whole pipeline, in one command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portrait.ingest.base import Progress
from portrait.ingest.pipeline import IngestReport
from portrait.services import ingest, workspace
from portrait.store import Workspace

DEFAULT_CUSTOMERS = 20_000

#: Overview figures of the book, each a (title, query) pair over the canonical tables.
_OVERVIEW: tuple[tuple[str, str], ...] = (
    ("Customers by risk level", "SELECT coalesce(risk_level, 'unknown'), count(*) FROM customers "
                                "GROUP BY 1 ORDER BY 1"),
    ("Holdings by product category", "SELECT p.category, count(*) FROM holdings h JOIN products p "
                                     "USING (product_id) GROUP BY 1 ORDER BY 2 DESC"),
    ("Transactions by channel", "SELECT channel, count(*) FROM transactions GROUP BY 1 "
                                "ORDER BY 2 DESC"),
    ("Events by channel", "SELECT channel, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"),
)


@dataclass
class DemoResult:
    workspace: str
    ingest: IngestReport
    report: str
    overview: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "report": self.report,
                "ingest": self.ingest.as_dict(), "overview": self.overview}


def _overview(ws: Workspace) -> dict[str, list[tuple[str, int]]]:
    engine = ws.engine()
    try:
        return {title: [(str(k), int(n)) for k, n in engine.query(sql)] for title, sql in _OVERVIEW}
    finally:
        engine.close()


def _markdown(result: DemoResult) -> str:
    rep = result.ingest
    lines = [f"# Portrait demo — {rep.source.source} bank", "",
             f"Workspace: `{result.workspace}`  ", f"Run: `{rep.run_id}`  ",
             f"Default as-of date: {rep.default_as_of}", "",
             "## Tables loaded", "", "| table | loaded | quarantined |", "|---|---:|---:|"]
    lines += [f"| {t} | {c.loaded:,} | {c.quarantined:,} |" for t, c in rep.tables.items()]
    for title, rows in result.overview.items():
        lines += ["", f"## {title}", "", "| value | count |", "|---|---:|"]
        lines += [f"| {k} | {n:,} |" for k, n in rows]
    return "\n".join(lines) + "\n"


def run_demo(ws_path: Path | None, *, customers: int = DEFAULT_CUSTOMERS, seed: int = 42,
             progress: Progress | None = None) -> DemoResult:
    """Create a workspace, generate a synthetic bank, ingest it, and write a report."""
    ws = workspace.init(ws_path)
    report = ingest.ingest_synth(ws.root, customers, seed, progress=progress)
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    out = ws.reports_dir / "demo.md"
    result = DemoResult(str(ws.root), report, str(out), _overview(ws))
    out.write_text(_markdown(result), encoding="utf-8")
    return result
