"""The synthetic bank as an ingest source: generated tables written to staging.

The pipeline treats it like any other source: it validates the staged rows against
the schema, quarantines what fails (with ``malformed > 0``, exactly the rows the
generator corrupted), encrypts personal data and publishes.
"""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa

from portrait.ingest.base import SOURCE_FILE, SOURCE_ROW, Progress, SourceSummary
from portrait.ingest.synth import columns as col
from portrait.ingest.synth.chunk import TABLES
from portrait.ingest.synth.generator import BankGenerator
from portrait.ingest.synth.world import SynthOptions
from portrait.store.duckdb_engine import DuckDBEngine


class SynthAdapter:
    """Generates a synthetic Chinese retail bank into staging (implements ``SourceAdapter``).

    Args:
        customers: Number of customers.
        seed: Seed; the same seed and options stage identical rows.
        malformed: Fraction of rows per table to corrupt on purpose (0 … 0.5).
        end_date: Last day of the history (the workspace's default as-of date).
        history_years: Years of transactions and events before ``end_date``.
        chunk_customers: Customers generated at a time (memory bound).
        workers: Processes generating chunks in parallel (1: this process only); the
            staged rows are the same for any number.

    Raises:
        UsageError: An option is out of range.
    """

    name = "synth"

    def __init__(self, customers: int, seed: int = 42, *, malformed: float = 0.0,
                 end_date: datetime.date = datetime.date(2025, 12, 31), history_years: int = 3,
                 chunk_customers: int = 50_000, workers: int = 1) -> None:
        self.options = SynthOptions(customers, seed, malformed, end_date, history_years,
                                    chunk_customers)
        self.options.check()  # fail before the caller opens a workspace
        self.workers = workers

    def stage(self, engine: DuckDBEngine, progress: Progress) -> SourceSummary:
        """Write ``staging.<table>`` for every table the generator fills, chunk by chunk."""
        generator = BankGenerator(self.options, self.workers)
        source = self.options.source_file
        written = dict.fromkeys(TABLES, 0)
        progress.start("Generating the synthetic bank", total=self.options.customers)
        for chunk in generator.chunks():
            for name, table in chunk.items():
                n = table.num_rows
                origin = col.labels(col.text([source]), np.zeros(n, dtype=np.int64))
                rows = pa.array(np.arange(written[name] + 1, written[name] + n + 1,
                                          dtype=np.int64))
                staged = table.append_column(SOURCE_FILE, origin).append_column(SOURCE_ROW, rows)
                engine.write_arrow(f"staging.{name}", staged, append=True)
                written[name] += n
            progress.advance(chunk["customers"].num_rows)
        return self._summary(generator)

    def _summary(self, generator: BankGenerator) -> SourceSummary:
        opts = self.options
        summary = SourceSummary(self.name, files=[opts.source_file], tables=list(TABLES))
        summary.records = dict(generator.records)
        if opts.malformed > 0:
            summary.records.update({f"malformed_{t}": n for t, n in generator.malformed.items()})
        summary.notes.append(
            f"Synthetic bank: {opts.customers} customers, seed {opts.seed}, "
            f"{opts.history_years} year(s) of history up to {opts.end_date.isoformat()}.")
        if generator.first_day is not None and generator.last_day is not None:
            epoch = datetime.date(1970, 1, 1)
            summary.period = {
                "from": (epoch + datetime.timedelta(days=generator.first_day)).isoformat(),
                "to": (epoch + datetime.timedelta(days=generator.last_day)).isoformat(),
            }
        if opts.malformed > 0:
            total = sum(generator.malformed.values())
            summary.notes.append(
                f"{total} row(s) were corrupted on purpose (malformed={opts.malformed}); "
                "each should be quarantined, and nothing else.")
        return summary
