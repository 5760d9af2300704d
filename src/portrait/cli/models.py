"""``portrait models …``: train and evaluate models."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from portrait.cli import models_warehouse as warehouse
from portrait.cli import render
from portrait.cli.options import JsonOpt, WorkspaceOpt
from portrait.errors import UsageError
from portrait.services import models_csv

app = typer.Typer(help="Propensity, churn and value models; a generic trainer for any CSV.",
                  no_args_is_help=True)

CsvOpt = Annotated[Path | None, typer.Option(
    "--csv", help="Train on this CSV file instead of the warehouse.")]
TargetOpt = Annotated[str | None, typer.Option("--target", help="Column to predict (with --csv).")]
PositiveOpt = Annotated[str | None, typer.Option(
    "--positive", help="The target's positive class (inferred for two classes).")]
DropOpt = Annotated[list[str] | None, typer.Option(
    "--drop", help="Columns to leave out: comma-separated, or repeat the option.")]
SplitOpt = Annotated[str, typer.Option(
    "--split", help="ordered: last 20% of rows is the test set; random: stratified 80/20.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed.")]


def _columns(values: list[str] | None) -> list[str]:
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


@app.command("train")
def train(csv: CsvOpt = None, target: TargetOpt = None, positive: PositiveOpt = None,
          drop: DropOpt = None, split: SplitOpt = "ordered", seed: SeedOpt = 0,
          as_of: warehouse.AsOfListOpt = None, horizon: warehouse.HorizonOpt = "90d",
          group: warehouse.GroupOpt = None, only: warehouse.OnlyOpt = None,
          workspace_path: WorkspaceOpt = None,
          as_json: JsonOpt = False) -> None:
    """Train and evaluate every warehouse model (propensity per category, churn, value) or,
    with --csv, any CSV file against a logistic baseline."""
    if csv is None:
        warehouse.train_warehouse(as_of, horizon, group, workspace_path, as_json, only)
        return
    if target is None:
        render.run(lambda: _missing("--target COL is required with --csv."), as_json=as_json)
        return
    result = render.run(lambda: models_csv.train_csv(csv, target, positive, _columns(drop),
                                                     split, seed), as_json=as_json)
    if as_json:
        render.emit_json(result)
    else:
        print_csv_result(result)


def _missing(message: str) -> None:
    raise UsageError(message, hint="portrait models train --csv FILE --target COL")


def _fmt(value: Any) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.4f}"


def print_csv_result(r: dict[str, Any]) -> None:
    """The CSV trainer's metrics beside the baseline's, then what was detected."""
    table = Table(title=f"{r['file']} → {r['target']} = {r['positive']!r} "
                        f"({r['split']} split, seed {r['seed']})")
    table.add_column("metric")
    table.add_column("LightGBM", justify="right")
    table.add_column("logistic baseline", justify="right")
    for label, key in [("ROC AUC", "auc"), ("PR AUC", "pr_auc"),
                       ("lift, top decile", "lift_top_decile"), ("Brier", "brier")]:
        table.add_row(label, _fmt(r[key]), _fmt(r[f"baseline_{key}"]))
    render.console.print(table)
    render.console.print(
        f"rows: {r['n_train']:,} train (of which {r['n_valid']:,} validation) · {r['n_test']:,} "
        f"test, positive rate in test {r['test_base_rate']:.3f} · trees: {r['best_iteration']} "
        f"· {r['seconds']} s")
    render.console.print(f"delimiter {r['delimiter']!r} · positive class {r['positive']!r} "
                         f"({r['positive_rule']}) · {len(r['features'])} features, "
                         f"{len(r['categorical'])} categorical", highlight=False)
    for d in r["dropped"]:
        render.console.print(f"[yellow]dropped[/] {d['column']}: {d['reason']}", highlight=False)
    for n in r["notes"]:
        render.console.print(f"[yellow]note[/] {n['column']}: {n['note']}", highlight=False)
    top = ", ".join(t["feature"] for t in r["top_features"][:5])
    render.console.print(f"top features (gain): {top}", highlight=False)


app.command("list")(warehouse.list_cmd)
app.command("show")(warehouse.show_cmd)
app.command("evaluate")(warehouse.evaluate_cmd)
app.command("fairness")(warehouse.fairness_cmd)
app.command("score")(warehouse.score_cmd)
