"""Benchmark: generating the synthetic bank, and optionally ingesting it.

Measures generation time (rows per second, transactions generated) and peak memory
(resident set size from ``resource.getrusage``), and with ``--ingest`` the full
``run_ingest`` into a fresh temporary workspace. Machines here are noisy, so the same
process also times two baselines over the same number of rows, and every time is also
reported as a ratio to them:

* numpy: drawing as many random float64 values as transactions were generated,
  chunk by chunk;
* DuckDB: ``CREATE TABLE … AS SELECT range, random() FROM range(n)`` in memory for the
  same number of rows.

Run::

    python benchmarks/synth_generate.py --customers 1000000 --ingest --markdown docs/benchmarks-synth.md
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from portrait.ingest.pipeline import run_ingest
from portrait.ingest.synth import TABLES, SynthAdapter, generate
from portrait.store import init_workspace


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory so far (Linux reports KiB) of this process or, with
    ``RUSAGE_CHILDREN``, of the largest finished worker process."""
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def numpy_baseline(rows: int, chunk: int) -> float:
    """Seconds to draw ``rows`` random float64 values in chunks of ``chunk``."""
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    total = 0.0
    for first in range(0, rows, chunk):
        total += float(rng.random(min(chunk, rows - first)).sum())
    del total
    return time.perf_counter() - start


def duckdb_baseline(rows: int) -> float:
    """Seconds for DuckDB to materialise a ``rows``-row table of ids and random doubles."""
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT range AS id, random() AS x FROM range(?)", [rows])
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def measure_generation(customers: int, seed: int, chunk: int, workers: int
                       ) -> dict[str, float]:
    counts = dict.fromkeys(TABLES, 0)
    nbytes = 0
    cpu = cpu_seconds()
    start = time.perf_counter()
    for tables in generate(customers, seed, chunk_customers=chunk, workers=workers):
        for name, table in tables.items():
            counts[name] += table.num_rows
            nbytes += table.nbytes
        del tables
    elapsed = time.perf_counter() - start
    rows = sum(counts.values())
    return {"seconds": elapsed, "cpu_seconds": cpu_seconds() - cpu, "rows": rows,
            "transactions": counts["transactions"], "events": counts["events"],
            "arrow_gib": nbytes / 2**30, "rows_per_s": rows / elapsed,
            "peak_rss_mib": peak_rss_mib(),
            "worker_rss_mib": peak_rss_mib(resource.RUSAGE_CHILDREN)}


class PhaseTimer:
    """A progress sink that records how long each phase of the ingest took."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, float]] = []
        self._current: tuple[str, float] | None = None

    def start(self, description: str, total: int | None = None) -> None:
        self.stop()
        self._current = (description, time.perf_counter())

    def advance(self, amount: int = 1) -> None:
        return None

    def stop(self) -> None:
        if self._current is not None:
            name, began = self._current
            self.phases.append((name, time.perf_counter() - began))
            self._current = None


def measure_ingest(customers: int, seed: int, chunk: int, workers: int, folder: Path
                   ) -> dict[str, float]:
    workspace = init_workspace(folder / "ws")
    timer = PhaseTimer()
    start = time.perf_counter()
    report = run_ingest(workspace, SynthAdapter(customers, seed, chunk_customers=chunk,
                                                workers=workers), progress=timer)
    elapsed = time.perf_counter() - start
    timer.stop()
    loaded = sum(t.loaded for t in report.tables.values())
    size = workspace.warehouse_path.stat().st_size
    return {"seconds": elapsed, "rows": loaded, "quarantined": report.quarantined,
            "rows_per_s": loaded / elapsed, "warehouse_gib": size / 2**30,
            "peak_rss_mib": peak_rss_mib(),
            **{f"phase: {name}": seconds for name, seconds in timer.phases}}


def markdown(command: str, gen: dict[str, float], base_np: float, base_db: float,
             ingest: dict[str, float] | None, base_db_ingest: float | None) -> str:
    lines = [
        "## Synthetic bank generation",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
        f"numpy {np.__version__}, pyarrow {pa.__version__}, DuckDB {duckdb.__version__}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| customers generated | {int(gen['customers']):,} |",
        f"| transactions generated | {int(gen['transactions']):,} |",
        f"| events generated | {int(gen['events']):,} |",
        f"| rows generated, all tables | {int(gen['rows']):,} |",
        f"| worker processes | {gen['workers']:.0f} |",
        f"| generation time (wall clock) | {gen['seconds']:.1f} s |",
        f"| generation CPU time, all processes | {gen['cpu_seconds']:.1f} s |",
        f"| generation throughput | {gen['rows_per_s']:,.0f} rows/s |",
        f"| peak RSS: main process / largest worker | {gen['peak_rss_mib']:,.0f} MiB / "
        f"{gen['worker_rss_mib']:,.0f} MiB |",
        f"| baseline: numpy, {int(gen['transactions']):,} random floats | {base_np:.2f} s |",
        f"| baseline: DuckDB range() table, {int(gen['transactions']):,} rows | {base_db:.2f} s |",
        f"| generation / numpy baseline | {gen['seconds'] / base_np:.0f}× |",
        f"| generation / DuckDB baseline | {gen['seconds'] / base_db:.0f}× |",
    ]
    if ingest is not None and base_db_ingest is not None:
        lines += [
            f"| full ingest (generate, stage, validate, encrypt PII, publish) | "
            f"{ingest['seconds']:.1f} s |",
            f"| rows loaded / quarantined | {int(ingest['rows']):,} / "
            f"{int(ingest['quarantined']):,} |",
            f"| ingest throughput | {ingest['rows_per_s']:,.0f} rows/s |",
            f"| warehouse file | {ingest['warehouse_gib']:.2f} GiB |",
            f"| peak RSS after ingest (main process) | {ingest['peak_rss_mib']:,.0f} MiB |",
            f"| baseline: DuckDB range() table, {int(ingest['rows']):,} rows | "
            f"{base_db_ingest:.2f} s |",
            f"| ingest / DuckDB baseline | {ingest['seconds'] / base_db_ingest:.0f}× |",
        ]
        lines += [f"| ingest {key} | {value:.1f} s |" for key, value in ingest.items()
                  if key.startswith("phase: ")]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk", type=int, default=50_000, help="customers per chunk")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes generating chunks in parallel (default 1)")
    parser.add_argument("--ingest", action="store_true",
                        help="also run the full ingest into a temporary workspace")
    parser.add_argument("--markdown", type=Path, help="write the results as markdown here")
    args = parser.parse_args(argv)
    command = "python benchmarks/synth_generate.py " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))

    gen = measure_generation(args.customers, args.seed, args.chunk, args.workers)
    gen["customers"] = args.customers
    gen["workers"] = args.workers
    print(f"generated {gen['rows']:,.0f} rows ({gen['transactions']:,.0f} transactions) in "
          f"{gen['seconds']:.1f} s (CPU {gen['cpu_seconds']:.1f} s), "
          f"{gen['rows_per_s']:,.0f} rows/s, "
          f"peak RSS {gen['peak_rss_mib']:,.0f} MiB", flush=True)
    base_np = numpy_baseline(int(gen["transactions"]), args.chunk * 50)
    base_db = duckdb_baseline(int(gen["transactions"]))
    print(f"baselines: numpy {base_np:.2f} s, DuckDB {base_db:.2f} s", flush=True)

    ingest = base_db_ingest = None
    if args.ingest:
        with tempfile.TemporaryDirectory() as tmp:
            ingest = measure_ingest(args.customers, args.seed, args.chunk, args.workers,
                                    Path(tmp))
        base_db_ingest = duckdb_baseline(int(ingest["rows"]))
        print(f"ingest: {ingest['rows']:,.0f} rows in {ingest['seconds']:.1f} s, "
              f"quarantined {ingest['quarantined']:,.0f}, peak RSS "
              f"{ingest['peak_rss_mib']:,.0f} MiB", flush=True)

    text = markdown(command, gen, base_np, base_db, ingest, base_db_ingest)
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
