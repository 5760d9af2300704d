"""What every source adapter provides, and what it hands to the pipeline.

An adapter reads its source and writes one staging table per canonical table it fills
(``staging.<table>``), with canonical column names plus ``_source_file`` and
``_source_row`` (where in the source each row came from). It may add ``_reject_field``
and ``_reject_reason`` to reject a row it could not map (an unknown code, say); the
pipeline validates everything else against the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from portrait.store.duckdb_engine import DuckDBEngine

SOURCE_FILE = "_source_file"
SOURCE_ROW = "_source_row"
REJECT_FIELD = "_reject_field"
REJECT_REASON = "_reject_reason"
REJECTS = "staging._rejects"


class Progress(Protocol):
    """Receives progress of long work; the CLI shows it as a Rich progress bar."""

    def start(self, description: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class NoProgress:
    """Progress sink that shows nothing (for ``--json`` and library use)."""

    def start(self, description: str, total: int | None = None) -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None


@dataclass
class SourceSummary:
    """What an adapter reports about its source, beside the per-table counts.

    Attributes:
        source: Adapter name (``berka``, ``csv``, ``synth``).
        files: Files read.
        period: First and last date of dated records (ISO), if any.
        records: Source-specific counts worth reporting (loans, cards, …).
        notes: Remarks for the person running the ingest.
    """

    source: str
    files: list[str] = field(default_factory=list)
    period: dict[str, str] | None = None
    records: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "files": self.files,
            "period": self.period,
            "records": self.records,
            "notes": self.notes,
        }


class SourceAdapter(Protocol):
    """A source of bank data mapped onto the canonical tables."""

    name: str

    def stage(self, engine: DuckDBEngine, progress: Progress) -> SourceSummary:
        """Write ``staging.<table>`` for every canonical table the source fills."""
        ...
