"""The demo: a synthetic bank through the whole pipeline, in one command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portrait.ingest.base import Progress
from portrait.ingest.pipeline import IngestReport
from portrait.services import ingest, workspace
from portrait.services import tags as tag_service
from portrait.store import Workspace

DEFAULT_CUSTOMERS = 20_000
PROFILES_SHOWN = 3

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
    tags: tag_service.BuildReport | None = None
    profiles: list[tag_service.Profile] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "report": self.report,
                "ingest": self.ingest.as_dict(), "overview": self.overview,
                "tags": self.tags.as_dict() if self.tags else None,
                "profiles": [p.as_dict() for p in self.profiles]}


def _overview(ws: Workspace) -> dict[str, list[tuple[str, int]]]:
    engine = ws.engine()
    try:
        return {title: [(str(k), int(n)) for k, n in engine.query(sql)] for title, sql in _OVERVIEW}
    finally:
        engine.close()


def _sample_customers(ws: Workspace, table: str, n: int) -> list[str]:
    """A few customers spread over the book (deterministic)."""
    engine = ws.engine()
    try:
        rows = engine.query(f"SELECT customer_id FROM {table} ORDER BY hash(customer_id) LIMIT {int(n)}")
    finally:
        engine.close()
    return [str(r[0]) for r in rows]


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
    if result.tags is not None:
        built = result.tags
        lines += ["", f"## Tags as of {built.as_of} ({built.customers:,} customers)", "",
                  "| tag | coverage | note |", "|---|---:|---|"]
        lines += [f"| {t} | {built.coverage.get(t, 0):.1%} | {built.uncovered.get(t, '')} |"
                  for t in built.tags]
    for prof in result.profiles:
        lines += ["", f"## Customer {prof.customer_id}", ""]
        for family, values in prof.families.items():
            shown = "; ".join(f"{v.title}: {v.value}" for v in values)
            lines.append(f"- **{family}** — {shown}")
    return "\n".join(lines) + "\n"


def run_demo(ws_path: Path | None, *, customers: int = DEFAULT_CUSTOMERS, seed: int = 42,
             progress: Progress | None = None) -> DemoResult:
    """Create a workspace, generate a synthetic bank, ingest it, and write a report."""
    ws = workspace.init(ws_path)
    report = ingest.ingest_synth(ws.root, customers, seed, progress=progress)
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    out = ws.reports_dir / "demo.md"
    result = DemoResult(str(ws.root), report, str(out), _overview(ws))
    if tag_service.list_tags(ws.root):
        result.tags = tag_service.build_tags(ws.root, progress=progress)
        result.profiles = [tag_service.customer_profile(ws.root, cid)
                           for cid in _sample_customers(ws, result.tags.table, PROFILES_SHOWN)]
    out.write_text(_markdown(result), encoding="utf-8")
    return result
