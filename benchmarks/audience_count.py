"""Audience counts: the bitmap index against a DuckDB scan of the snapshot.

The snapshot is generated directly with DuckDB SQL (not through the synthetic bank: a
10-million-customer ingest and tag build would take hours on a laptop): 10 tags of each
type with realistic shapes — skewed categorical values, ordinal levels weighted toward
the low end, log-normal amounts with a mass at 0, ages, recencies, boolean flags at
different rates, and sets of products — each with a share of NULLs. Values come from a
hash of (row, tag), so a run is reproducible.

It measures, in one run: the index build (seconds, file size, bitmaps vs arrays), the
peak resident memory of the process, and the median latency of the same 5-predicate
count with the bitmap index (warm: bitmaps already loaded; and the first, cold count
after opening the file) and as a DuckDB SQL scan.

    python benchmarks/audience_count.py --customers 10000000 --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from portrait.audience import bitmap_build
from portrait.audience.bitmap import Index
from portrait.audience.bitmap_file import IndexFile
from portrait.audience.sql import count as count_sql
from portrait.audience.validate import Catalog, TagInfo, compile_query
from portrait.store.duckdb_engine import DuckDBEngine

TABLE = "tags__20251231"
EXPRESSION = ("cat_1 in ('v1', 'v2', 'v3') and ord_0 >= 'L2' and num_0 <= 30.5 "
              "and not bool_3 and set_0 contains 'e2'")
CARDINALITY = [2, 5, 8, 12, 20, 34, 50, 80, 150, 300]
LEVELS = [3, 4, 5, 5, 6, 6, 7, 8, 8, 10]


def _u(k: int) -> str:
    """A uniform number in [0, 1) from (row, tag k), in SQL."""
    return f"((hash(i, {k}) % 1000003) / 1000003.0)"


def _null(k: int, share: float, value: str) -> str:
    return f"CASE WHEN {_u(k + 5000)} < {share} THEN NULL ELSE {value} END"


def tags() -> list[TagInfo]:
    """The generated snapshot's tags, as :func:`generate` makes them."""
    return ([TagInfo(f"cat_{t}", "categorical") for t in range(10)]
            + [TagInfo(f"ord_{t}", "ordinal", levels=tuple(f"L{j}" for j in range(n)))
               for t, n in enumerate(LEVELS)]
            + [TagInfo(f"{kind}_{t}", name) for kind, name in
               (("num", "numeric"), ("bool", "boolean"), ("set", "set")) for t in range(10)])


def generate(engine: DuckDBEngine, customers: int) -> list[TagInfo]:
    cols = ["printf('C%010d', i) AS customer_id"]
    infos: list[TagInfo] = []
    for t, card in enumerate(CARDINALITY):   # skewed: low codes are common
        value = f"'v' || CAST(floor(pow({_u(t)}, 2) * {card}) AS INTEGER)"
        cols.append(_null(t, 0.03, value) + f" AS cat_{t}")
        infos.append(TagInfo(f"cat_{t}", "categorical"))
    for t, n in enumerate(LEVELS):
        k = 100 + t
        value = f"'L' || CAST(floor(pow({_u(k)}, 1.5) * {n}) AS INTEGER)"
        cols.append(_null(k, 0.05, value) + f" AS ord_{t}")
        infos.append(TagInfo(f"ord_{t}", "ordinal", levels=tuple(f"L{j}" for j in range(n))))
    for t in range(10):
        k = 200 + t
        u = _u(k)
        shapes = [f"floor(-ln(1 - {u}) * 45)",                           # days since: exponential
                  f"18 + floor({u} * 72)",                                # age
                  f"CASE WHEN {u} < 0.3 THEN 0 ELSE round(exp(8 + 2.2 * ({u} - 0.65) * 4), 2) END",
                  f"floor(-ln(1 - {u}) * 12)",                            # counts
                  f"round({u} * 1.0, 4)"]                                 # shares
        cols.append(_null(k, 0.04 + 0.01 * t, shapes[t % len(shapes)]) + f" AS num_{t}")
        infos.append(TagInfo(f"num_{t}", "numeric"))
    for t in range(10):
        k = 300 + t
        cols.append(_null(k, 0.02 * (t % 3), f"{_u(k)} < {0.05 + 0.09 * t:.2f}") + f" AS bool_{t}")
        infos.append(TagInfo(f"bool_{t}", "boolean"))
    elements = ", ".join(f"'e{j}'" for j in range(12))
    for t in range(10):
        k = 400 + t
        keep = f"(hash(i, x, {k}) % 100) < 8 + 4 * (hash(x) % 7)"
        cols.append(_null(k, 0.05, f"list_filter([{elements}], lambda x: {keep})") + f" AS set_{t}")
        infos.append(TagInfo(f"set_{t}", "set"))
    engine.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT {', '.join(cols)} "
                   f"FROM range({customers}) r(i)")
    return infos


def _median_ms(call: object, repeats: int) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--dir", type=Path, default=None, help="Folder for the database and index.")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit.")
    parser.add_argument("--markdown", type=Path, default=None, help="Append the results here.")
    parser.add_argument("--reuse", action="store_true",
                        help="Reuse the snapshot already generated in --dir (skip generation).")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="audience-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    engine = DuckDBEngine(folder / "bench.duckdb", {"memory_limit": args.memory_limit})

    start = time.perf_counter()
    infos = tags() if args.reuse else generate(engine, args.customers)
    generated = time.perf_counter() - start
    rss_before = peak_rss_mb()
    print(f"generated {args.customers:,} customers × {len(infos)} tags in {generated:.1f} s", flush=True)

    path = folder / f"{TABLE}.idx"
    start = time.perf_counter()
    header = bitmap_build.build_index(engine, TABLE, infos, path, meta={"as_of": "2025-12-31"})
    built = time.perf_counter() - start
    rss_after = peak_rss_mb()
    size = path.stat().st_size
    arrays = sum(t[k][1] for t in header["tags"].values() for k in ("order", "sorted") if k in t)
    print(f"index built in {built:.1f} s: {size / 1e6:.0f} MB ({(size - arrays) / 1e6:.0f} MB bitmaps, "
          f"{arrays / 1e6:.0f} MB numeric arrays); peak RSS {rss_after:.0f} MB", flush=True)

    opened = time.perf_counter()
    index = Index(IndexFile(path))
    catalog = Catalog({i.name: i for i in infos}, index.domain)
    query = compile_query(EXPRESSION, catalog)
    cold_count = index.count(query)
    cold_ms = (time.perf_counter() - opened) * 1000
    bitmap_ms, bitmap_count = _median_ms(lambda: index.count(query), args.repeats)
    parse_ms, _ = _median_ms(lambda: index.count(compile_query(EXPRESSION, catalog)), args.repeats)
    sql = count_sql(query, TABLE).sql("duckdb")
    engine.query(sql)  # warm the buffer pool: both sides then run from memory
    scan_ms, scan_rows = _median_ms(lambda: engine.query(sql), max(5, args.repeats // 3))
    scan_count = int(scan_rows[0][0])  # type: ignore[index]
    assert scan_count == bitmap_count == cold_count, (scan_count, bitmap_count, cold_count)
    ratio = scan_ms / bitmap_ms
    print(f"count = {bitmap_count:,}: bitmap {bitmap_ms:.2f} ms median (with parsing and checking "
          f"{parse_ms:.2f} ms; cold {cold_ms:.1f} ms), DuckDB scan {scan_ms:.1f} ms → {ratio:.0f}×")
    engine.close()

    if args.markdown:
        files = (f"{size / 1e6:,.0f} MB ({(size - arrays) / 1e6:,.0f} MB bitmaps, "
                 f"{arrays / 1e6:,.0f} MB sorted numeric columns)")
        rss = f"{rss_after:,.0f} MB (before the build: {rss_before:,.0f} MB)"
        target = "met" if bitmap_ms < 20 and ratio >= 10 else "**not met**"
        with args.markdown.open("a", encoding="utf-8") as fh:
            fh.write(f"""
## Audience count, bitmap index vs DuckDB scan — {args.customers:,} customers, {len(infos)} tags

```
python benchmarks/{Path(__file__).name} --customers {args.customers} --markdown {args.markdown}
```

Snapshot generated with DuckDB SQL (10 tags each of categorical, ordinal, numeric, boolean,
set; NULLs in all; see the script's docstring) in {generated:.0f} s. Expression (5 predicates):
`{EXPRESSION}` → {bitmap_count:,} customers (same count from both).

| measure | value |
|---|---:|
| index build | {built:.1f} s |
| index file | {files} |
| peak RSS (whole process: generation, build, queries) | {rss} |
| bitmap count, median of {args.repeats} (bitmaps loaded) | {bitmap_ms:.2f} ms |
| bitmap count incl. parse + catalog check, median | {parse_ms:.2f} ms |
| bitmap count, cold (open the file, load the bitmaps used) | {cold_ms:.1f} ms |
| DuckDB `SELECT count(*) … WHERE …`, median | {scan_ms:.1f} ms |
| scan / bitmap | {ratio:.1f}× |

Target (bitmap < 20 ms median and ≥ 10× faster than the scan): {target}.
""")


if __name__ == "__main__":
    sys.exit(main())
