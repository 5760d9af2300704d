"""``portrait experiment``: evaluate an outside randomized experiment file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from portrait.cli import render
from portrait.cli.options import JsonOpt
from portrait.services import experiment

app = typer.Typer(help="Randomized experiments run outside Portrait.", no_args_is_help=True)


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2%}" if pct else f"{value:.4g}"


@app.command("evaluate")
def evaluate_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file, one row per unit.")],
    treatment: Annotated[str, typer.Option("--treatment", help="Column naming each row's arm.")],
    outcome: Annotated[list[str], typer.Option("--outcome", help="Outcome column (repeatable).")],
    control: Annotated[str | None, typer.Option(
        "--control", help="Value of the treatment column that marks control "
                          "(default: control, 0, false or C when present).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare every arm with control: difference, 95% CI, p-value, relative lift."""
    result = render.run(lambda: experiment.evaluate(file, treatment, outcome, control=control),
                        as_json=as_json)
    if as_json:
        render.emit_json(result.as_dict())
        return
    for name, kind in result.outcomes.items():
        table = Table(title=f"{name} ({kind}) — control {result.control!r}")
        for col in ("arm", "n", "mean", "diff", "95% CI", "p-value", "relative lift"):
            table.add_column(col, justify="left" if col == "arm" else "right")
        for arm, res in result.arms.items():
            cmp = res.comparisons.get(name)
            if cmp is None:
                table.add_row(arm, f"{res.n:,}", _fmt(res.means[name]), "", "", "", "")
                continue
            table.add_row(arm, f"{res.n:,}", _fmt(res.means[name]), _fmt(cmp.diff),
                          f"[{_fmt(cmp.ci95[0])}, {_fmt(cmp.ci95[1])}]", _fmt(cmp.p_value),
                          _fmt(cmp.relative_lift, pct=True))
        render.console.print(table)
