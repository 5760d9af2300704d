"""Benchmark: building the tag snapshot, against three references in the same process.

* **full**: the shipped catalog, fused (one grouped pass per table and window), as
  ``portrait tags build`` computes it;
* **(a) unfused**: the same catalog, one query per tag (each with what it needs);
* **(b) pandas**: a plain pandas group-by implementation of a subset of transaction
  tags (defined below, both as YAML and in pandas), against the fused SQL of the same
  subset;
* **(c) floor**: one DuckDB scan that aggregates the transactions table once;
* **(d) per-table floor**: one scan per table the catalog reads (transactions, events,
  holdings, consents, accounts, …, and customers), each aggregated once by customer —
  the least any build of this catalog must read;
* with ``--publish``, the whole ``tags build`` as the CLI runs it (compute, publish,
  history, coverage; not the bitmap index), first as written (a first build) and then
  again for the same date (a rebuild). This writes to the workspace.

Machines here are noisy, so results are reported as ratios to the floor.

Run (builds a synthetic workspace first if ``--workspace`` does not hold one)::

    python benchmarks/tags_build.py --customers 1000000 --workspace /tmp/bench-1m \\
        --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from portrait import schema
from portrait.ingest.pipeline import run_ingest
from portrait.ingest.synth import SynthAdapter
from portrait.store import init_workspace, open_workspace
from portrait.tags.build import build, default_as_of
from portrait.tags.compiler import compile_snapshot
from portrait.tags.loader import load_catalog
from portrait.tags.plan import TIME_COLUMNS, Plan, build_plan

SUBSET = """
- {name: n_90d, expr_kind: count, window: 90}
- {name: n_1y, expr_kind: count, window: 365}
- {name: credits_90d, expr_kind: sum_pos, window: 90}
- {name: debits_90d, expr_kind: sum_neg, window: 90}
- {name: salary_6m, expr_kind: sum_kind, kind: salary, window: 182}
- {name: card_n_90d, expr_kind: count_kind, kind: card_purchase, window: 90}
- {name: mobile_n_90d, expr_kind: count_channel, channel: mobile, window: 90}
- {name: avg_amount_1y, expr_kind: mean, window: 365}
- {name: max_debit_1y, expr_kind: min, window: 365}
- {name: last_balance, expr_kind: last}
- {name: days_since, expr_kind: days_since}
"""

def _aggregate(spec: dict[str, Any]) -> dict[str, Any]:
    """The catalog definition of one subset tag."""
    kind, window = spec["expr_kind"], spec.get("window")
    agg: dict[str, Any] = {"table": "transactions"}
    if window:
        agg["window"] = f"{window}d"
    filters = {"sum_pos": "amount > 0", "sum_neg": "amount < 0",
               "sum_kind": f"kind = '{spec.get('kind')}'", "count_kind": f"kind = '{spec.get('kind')}'",
               "count_channel": f"channel = '{spec.get('channel')}'"}
    functions = {"count": "count", "sum_pos": "sum", "sum_neg": "sum", "sum_kind": "sum",
                 "count_kind": "count", "count_channel": "count", "mean": "avg", "min": "min",
                 "last": "last", "days_since": "days_since"}
    agg["function"] = functions[kind]
    if kind in filters:
        agg["filter"] = filters[kind]
    if agg["function"] in ("sum", "avg", "min"):
        agg["column"] = "amount"
    if kind == "last":
        agg["column"] = "balance_after"
    return agg


def subset_catalog(folder: Path) -> list[dict[str, Any]]:
    import yaml

    specs: list[dict[str, Any]] = yaml.safe_load(SUBSET)
    tags = [{"name": s["name"], "title": {"en": s["name"], "zh": s["name"]}, "family": "economic",
             "change": "dynamic", "sensitivity": "internal", "type": "numeric",
             "description": "benchmark tag", "aggregate": _aggregate(s)} for s in specs]
    (folder / "subset.yaml").write_text(yaml.safe_dump(tags), encoding="utf-8")
    return specs


def pandas_subset(con: duckdb.DuckDBPyConnection, specs: list[dict[str, Any]], as_of: dt.date) -> Any:
    """The subset with pandas: load the columns once, then one group-by per tag."""
    import pandas as pd

    # Text columns as categoricals: plain object columns would need ~4x the memory.
    result = con.execute("SELECT customer_id, ts, CAST(amount AS DOUBLE) AS amount, "
                         "CAST(balance_after AS DOUBLE) AS balance_after, channel, kind "
                         "FROM transactions WHERE CAST(ts AS DATE) <= ? ORDER BY txn_id", [as_of])
    fetch = getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
    df = fetch().to_pandas(strings_to_categorical=True)
    day = pd.Timestamp(as_of)
    df["day"] = df["ts"].dt.normalize()
    out = pd.DataFrame(index=pd.Index(con.execute(
        "SELECT customer_id FROM customers WHERE joined_at IS NULL OR joined_at <= ?",
        [as_of]).df()["customer_id"]))
    for s in specs:
        kind = s["expr_kind"]
        part = df
        if s.get("window"):
            part = df[df["day"] >= day - pd.Timedelta(days=s["window"] - 1)]
        g = part.groupby("customer_id", observed=True)
        if kind == "count":
            col = g.size()
        elif kind == "sum_pos":
            col = part[part["amount"] > 0].groupby("customer_id", observed=True)["amount"].sum()
        elif kind == "sum_neg":
            col = part[part["amount"] < 0].groupby("customer_id", observed=True)["amount"].sum()
        elif kind == "sum_kind":
            col = part[part["kind"] == s["kind"]].groupby("customer_id", observed=True)["amount"].sum()
        elif kind == "count_kind":
            col = part[part["kind"] == s["kind"]].groupby("customer_id", observed=True).size()
        elif kind == "count_channel":
            col = part[part["channel"] == s["channel"]].groupby("customer_id", observed=True).size()
        elif kind == "mean":
            col = g["amount"].mean()
        elif kind == "min":
            col = g["amount"].min()
        elif kind == "last":
            # rows arrive in key order, so a stable sort by time breaks ties by key
            order = part.sort_values(["customer_id", "ts"], kind="stable")
            col = order.groupby("customer_id", observed=True)["balance_after"].last()
        else:  # days_since
            col = (day - g["day"].max()).dt.days
        out[s["name"]] = col
    return out


def table_floor(plan: Plan, names: list[str], as_of: dt.date) -> list[str]:
    """(d): per table the catalog reads, one scan aggregating it once (by customer where it can)."""
    tables = sorted({t for n in names for t in plan.tags[n].tables} | {"customers"})
    out = []
    for name in tables:
        time_column = "joined_at" if name == "customers" else TIME_COLUMNS.get(name)
        cut = (f" WHERE {time_column} IS NULL OR CAST({time_column} AS DATE) <= DATE '{as_of}'"
               if time_column else "")
        if "customer_id" in schema.table(name).column_names:
            out.append(f"SELECT customer_id, count(*) AS n FROM {name}{cut} GROUP BY customer_id")
        else:
            out.append(f"SELECT count(*) AS n FROM {name}{cut}")
    return out


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workspace", type=Path, default=None)
    parser.add_argument("--skip-unfused", action="store_true")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--markdown", type=Path, default=None)
    parser.add_argument("--publish", action="store_true",
                        help="also time the whole build as the CLI runs it (writes to the workspace)")
    args = parser.parse_args()

    root = args.workspace or Path(tempfile.mkdtemp()) / "ws"
    if not (root / "warehouse.duckdb").exists():
        print(f"generating and ingesting {args.customers:,} synthetic customers into {root} …",
              file=sys.stderr)
        run_ingest(init_workspace(root), SynthAdapter(args.customers, args.seed))
    ws = open_workspace(root)
    engine = ws.engine()
    con = engine.connection  # type: ignore[attr-defined]
    as_of = default_as_of(engine)
    customers = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    txns = con.execute("SELECT count(*) FROM transactions").fetchone()[0]
    plan = build_plan(load_catalog())
    names = list(plan.tags)

    def run(sql: str) -> None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE __bench AS {sql}")

    start = time.perf_counter()
    compiled = compile_snapshot(plan, names, as_of)
    full_sql = compiled.sql("duckdb")
    compile_seconds = time.perf_counter() - start
    passes = sum(1 for cte in compiled.query.args["with_"].expressions if cte.alias[0] in "gmd")
    per_tag_sql = [compile_snapshot(plan, [n], as_of).sql("duckdb") for n in names]
    floor = timed(lambda: run(
        "SELECT customer_id, count(*) AS n, sum(amount) AS s FROM transactions "
        f"WHERE CAST(ts AS DATE) <= DATE '{as_of}' GROUP BY customer_id"))
    floor_sql = table_floor(plan, names, as_of)
    results: dict[str, float] = {"floor": floor,
                                 "table_floor": timed(lambda: [run(sql) for sql in floor_sql])}
    full = timed(lambda: run(full_sql))
    results["full"] = full
    if not args.skip_unfused:
        results["unfused"] = timed(lambda: [run(sql) for sql in per_tag_sql])
    folder = Path(tempfile.mkdtemp())
    specs = subset_catalog(folder)
    sub_plan = build_plan(load_catalog([folder], shipped=False))
    sub_sql = compile_snapshot(sub_plan, list(sub_plan.tags), as_of).sql("duckdb")
    results["subset_fused"] = timed(lambda: run(sub_sql))
    print(results, file=sys.stderr)
    if args.publish:
        con.execute("DROP TABLE IF EXISTS __bench")
        results["publish_first"] = timed(lambda: build(engine, plan, as_of=as_of, incremental=False))
        results["publish_again"] = timed(lambda: build(engine, plan, as_of=as_of, incremental=False))
    if not args.skip_pandas:
        con.execute("SET memory_limit = '3GB'")  # leave the memory to pandas
        results["subset_pandas"] = timed(lambda: pandas_subset(con, specs, as_of))
    engine.close()

    lines = [
        "", f"## Tag build — {customers:,} customers, {txns:,} transactions, "
            f"{len(names)} tags (as of {as_of})", "",
        "```", "python " + " ".join(shlex.quote(a) for a in sys.argv), "```", "",
        "| run | seconds | × floor (c) | × per-table floor (d) |", "|---|---:|---:|---:|",
    ]
    labels = {"floor": "(c) floor: one scan aggregating transactions",
              "table_floor": f"(d) per-table floor: one scan aggregating each of {len(floor_sql)} tables",
              "publish_first": "`tags build` as the CLI runs it (SQL, publish, history, coverage)",
              "publish_again": "`tags build` again for the same date",
              "full": f"full catalog, fused ({passes} grouped passes)",
              "unfused": "(a) full catalog, one query per tag",
              "subset_fused": f"subset of {len(specs)} transaction tags, fused SQL",
              "subset_pandas": f"(b) the same {len(specs)} tags in pandas"}
    table_floor_s = results["table_floor"]
    for key, seconds in results.items():
        lines.append(f"| {labels[key]} | {seconds:.2f} | {seconds / floor:.1f} | "
                     f"{seconds / table_floor_s:.1f} |")
    lines += ["", f"SQL generation (not in the times above): {compile_seconds:.1f} s for the full catalog.",
              "", f"Fused full build / floor: {full / floor:.2f}×; / per-table floor: "
              f"{full / table_floor_s:.2f}×. "
              + (f"Unfused / fused: {results['unfused'] / full:.1f}×. " if "unfused" in results else "")
              + (f"pandas / fused on the subset: {results['subset_pandas'] / results['subset_fused']:.1f}×."
                 if "subset_pandas" in results else "")]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
