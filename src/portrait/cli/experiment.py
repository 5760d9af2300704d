"""``portrait experiment``: evaluate an outside randomized experiment file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from portrait.cli import render
from portrait.cli.options import JsonOpt
from portrait.services import experiment

app = typer.Typer(help="Randomized experiments run outside Portrait.", no_args_is_help=True)


def _fmt(value: float | None, pct: bool = False, digits: int = 4) -> str:
    if value is None:
        return "—"
    return f"{value:+.2%}" if pct else f"{value:.{digits}g}"


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
    cols = ["arm", "n", "mean", "diff", "95% CI", "p-value",
            *(["Holm p"] if result.adjusted else []), "relative lift"]
    for name, kind in result.outcomes.items():
        table = Table(title=f"{name} ({kind}) — control {result.control!r}",
                      box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        for col in cols:
            table.add_column(col, justify="left" if col == "arm" else "right")
        for arm, res in result.arms.items():
            cmp = res.comparisons.get(name)
            if cmp is None:
                table.add_row(arm, f"{res.n:,}", _fmt(res.means[name]), *[""] * (len(cols) - 3))
                continue
            holm = [_fmt(res.holm.get(name))] if result.adjusted else []
            ci = f"[{_fmt(cmp.ci95[0], digits=3)}, {_fmt(cmp.ci95[1], digits=3)}]"
            table.add_row(arm, f"{res.n:,}", _fmt(res.means[name]), _fmt(cmp.diff), ci,
                          _fmt(cmp.p_value), *holm, _fmt(cmp.relative_lift, pct=True))
        render.console.print(table)
    if result.multiplicity:
        render.console.print(f"Holm p: {result.multiplicity}; the unadjusted p-value answers "
                             "one arm's comparison on its own.", highlight=False)
