"""Ingest use cases: one per source kind."""

from __future__ import annotations

from pathlib import Path

from portrait.ingest.base import Progress, SourceAdapter
from portrait.ingest.pipeline import IngestReport, run_ingest

__all__ = ["IngestReport", "ingest", "ingest_berka", "ingest_csv", "ingest_synth"]
from portrait.services import workspace


def ingest(ws_path: Path | None, adapter: SourceAdapter, *, strict: bool = False,
           progress: Progress | None = None) -> IngestReport:
    """Load ``adapter``'s source into the workspace (created if needed)."""
    ws = workspace.open_or_init(ws_path)
    return run_ingest(ws, adapter, strict=strict, progress=progress)


def ingest_berka(ws_path: Path | None, folder: Path, *, strict: bool = False,
                 progress: Progress | None = None) -> IngestReport:
    from portrait.ingest.berka import BerkaAdapter

    return ingest(ws_path, BerkaAdapter(folder), strict=strict, progress=progress)


def ingest_csv(ws_path: Path | None, file: Path, mapping: str, *, strict: bool = False,
               progress: Progress | None = None) -> IngestReport:
    from portrait.ingest.csvmap import CsvAdapter

    return ingest(ws_path, CsvAdapter(file, mapping), strict=strict, progress=progress)


def ingest_synth(ws_path: Path | None, customers: int, seed: int, *, malformed: float = 0.0,
                 strict: bool = False, progress: Progress | None = None) -> IngestReport:
    from portrait.ingest.synth import SynthAdapter

    adapter = SynthAdapter(customers, seed, malformed=malformed)
    return ingest(ws_path, adapter, strict=strict, progress=progress)
