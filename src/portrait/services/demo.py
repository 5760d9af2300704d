"""The demo: a synthetic bank through the whole pipeline, in one command."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portrait.ingest.base import Progress
from portrait.ingest.pipeline import IngestReport
from portrait.services import ingest, workspace

DEFAULT_CUSTOMERS = 20_000


@dataclass
class DemoResult:
    workspace: str
    ingest: IngestReport
    report: str

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "report": self.report, "ingest": self.ingest.as_dict()}


def run_demo(ws_path: Path | None, *, customers: int = DEFAULT_CUSTOMERS, seed: int = 42,
             progress: Progress | None = None) -> DemoResult:
    """Create a workspace, generate a synthetic bank, ingest it, and write a report."""
    ws = workspace.init(ws_path)
    report = ingest.ingest_synth(ws.root, customers, seed, progress=progress)
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    out = ws.reports_dir / "demo.json"
    out.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    return DemoResult(str(ws.root), report, str(out))
