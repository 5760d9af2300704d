"""Training time of every warehouse model and batch scoring throughput on a synthetic bank.

Steps, each timed: generate and ingest N synthetic customers; build the tag snapshots the
default training needs (the data's end minus 3, 2, 1 horizons, and each plus the horizon);
train all models (one propensity model per product category, churn, value — with their
baselines and fairness audits); score every customer of the latest snapshot with every
model and write the scores back as model tags; build every customer's shelf
(``recommend --all``).

Usage::

    python benchmarks/models_train.py --customers 200000 [--workspace DIR] [--skip-shelves] [--append]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from portrait.services import ingest, recommend, workspace
from portrait.services import models as models_service
from portrait.services import tags as tags_service
from portrait.tags import snapshots
from portrait.tags.build import default_as_of


def _timed(label: str, times: dict[str, float], call: Any) -> Any:
    t0 = time.perf_counter()
    out = call()
    times[label] = round(time.perf_counter() - t0, 1)
    print(f"{label}: {times[label]} s", flush=True)
    return out


def run(ws: Path, customers: int, seed: int, horizon: str, shelves: bool = True) -> dict[str, Any]:
    times: dict[str, float] = {}
    if not (ws / "warehouse.duckdb").exists():
        _timed("generate_and_ingest", times, lambda: ingest.ingest_synth(ws, customers, seed))
    days = models_service.parse_horizon(horizon)
    eng = workspace.open_(ws).engine()
    end = default_as_of(eng)
    dates = [end - dt.timedelta(days=days * k) for k in (3, 2, 1)]
    needed = sorted(set(dates) | {d + dt.timedelta(days=days) for d in dates})
    built = {s["as_of"] for s in snapshots.snapshots(eng)}
    eng.close()
    missing = [d for d in needed if d not in built]  # a rerun on the same workspace reuses them
    if missing:
        _timed(f"tag_snapshots_x{len(missing)}", times,
               lambda: [tags_service.build_tags(ws, as_of=d) for d in missing])
    result = _timed("train_all_models", times, lambda: models_service.train_all(
        ws, as_of=dates, horizon=horizon, score=False))
    scored = _timed("score_and_write_back", times, lambda: models_service.score_latest(ws))
    shelf = _timed("recommend_all", times, lambda: recommend.recommend_all(
        ws, ws / "reports" / "shelves.jsonl")) if shelves else None
    n = scored["customers"]
    return {
        "customers": customers, "horizon": horizon, "as_of": result["as_of"], "seconds": times,
        "models": {m["name"]: {"train_seconds": m["train_seconds"], "n_train": m["n_train"],
                               "n_test": m["n_test"], **m["metrics"]} for m in result["models"]},
        "skipped": result["skipped"],
        "scoring_customers_per_second": round(n / scored["score_seconds"], 1)
        if scored["score_seconds"] else None,
        "scored_models": len({t.removesuffix("_band") for t in scored["tags"]}),
        "recommend_customers_per_second": shelf["customers_per_second"] if shelf else None,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
    }


def markdown(r: dict[str, Any], command: str) -> str:
    rows = "\n".join(
        f"| {name} | {m['n_train']:,} | {m['n_test']:,} | "
        f"{m.get('auc', m.get('spearman', float('nan'))):.3f} | {m['train_seconds']} |"
        for name, m in r["models"].items())
    s = r["seconds"]
    return (
        f"\n## Warehouse models: training and batch scoring ({r['customers']:,} synthetic customers)\n\n"
        f"Command: `{command}` on {r['machine']} (shared machine, other jobs running).\n"
        f"As-of dates {', '.join(r['as_of'])}, horizon {r['horizon']}; the last date is the test date.\n\n"
        f"| step | seconds |\n|---|---|\n"
        + "".join(f"| {k} | {v} |\n" for k, v in s.items())
        + f"\nScoring (every model, every customer of the latest snapshot, written back as tags): "
        f"**{r['scoring_customers_per_second']:,} customers/s** over {r['scored_models']} models"
        + (f"; shelves (`recommend --all`, suitability checks and reasons for the top offer): "
           f"**{r['recommend_customers_per_second']:,} customers/s**.\n\n"
           if r["recommend_customers_per_second"] else " (shelves not built in this run).\n\n")
        + f"| model | train rows | test rows | AUC (ρ for value) | train s |\n|---|---|---|---|---|\n"
        f"{rows}\n"
        + (f"\nSkipped: {json.dumps(r['skipped'], ensure_ascii=False)}\n" if r["skipped"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--horizon", default="90d")
    parser.add_argument("--workspace", type=Path, default=None,
                        help="Reuse or create this workspace (default: a temporary one).")
    parser.add_argument("--append", action="store_true", help="Append the result to docs/benchmarks.md.")
    parser.add_argument("--skip-shelves", action="store_true",
                        help="Leave out every customer's shelf (recommend --all), the longest step.")
    args = parser.parse_args()
    ws = args.workspace or Path(tempfile.mkdtemp(prefix="portrait-models-bench-")) / "ws"
    try:
        result = run(ws, args.customers, args.seed, args.horizon, shelves=not args.skip_shelves)
    finally:
        if args.workspace is None:
            shutil.rmtree(ws.parent, ignore_errors=True)
    print(json.dumps(result, indent=2, default=str))
    if args.append:
        command = f"python benchmarks/models_train.py --customers {args.customers}" + (
            " --skip-shelves" if args.skip_shelves else "")
        doc = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
        with doc.open("a", encoding="utf-8") as fh:
            fh.write(markdown(result, command))


if __name__ == "__main__":
    main()
