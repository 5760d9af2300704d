"""Rendering for the CLI: Rich tables and progress bars, or JSON for machines."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from portrait.errors import PortraitError
from portrait.services.ingest import IngestReport

console = Console()
errors = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


class RichProgress:
    """A progress bar on stderr for long work (one task at a time)."""

    def __init__(self) -> None:
        self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), console=errors,
                             transient=True)
        self._task: Any = None

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def start(self, description: str, total: int | None = None) -> None:
        if self._task is not None:
            self._bar.update(self._task, visible=False)
        self._task = self._bar.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)


def run(action: Callable[[], T], *, as_json: bool) -> T:
    """Run a service call; turn Portrait errors into a message and their exit code."""
    try:
        return action()
    except PortraitError as exc:
        if as_json:
            print(json.dumps({"error": exc.message, "hint": exc.hint, "kind": type(exc).__name__},
                             ensure_ascii=False))
        else:
            errors.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
            if exc.hint:
                errors.print(f"[yellow]Hint:[/] {exc.hint}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        if os.environ.get("PORTRAIT_DEBUG"):
            raise
        message = f"unexpected error: {type(exc).__name__}: {exc}"
        if as_json:
            print(json.dumps({"error": message, "kind": "UnexpectedError"}, ensure_ascii=False))
        else:
            errors.print(f"[bold red]Error:[/] {message}", highlight=False)
            errors.print("[yellow]Hint:[/] set PORTRAIT_DEBUG=1 for the traceback and report it.")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        errors.print("Interrupted; the warehouse keeps its previous state.")
        raise typer.Exit(130) from None


def run_with_progress(action: Callable[[RichProgress | None], T], *, as_json: bool) -> T:
    """Like :func:`run`, with a progress bar for people (none for ``--json``)."""
    if as_json:
        return run(lambda: action(None), as_json=True)
    bar = RichProgress()

    def shown() -> T:
        with bar:
            return action(bar)

    return run(shown, as_json=False)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def ingest_report(report: IngestReport) -> None:
    """Print an ingest report as tables."""
    table = Table(title=f"Ingest {report.source.source} → {report.workspace}")
    table.add_column("table")
    table.add_column("loaded", justify="right")
    table.add_column("quarantined", justify="right")
    for name, count in report.tables.items():
        style = "red" if count.quarantined else None
        table.add_row(name, f"{count.loaded:,}", f"{count.quarantined:,}", style=style)
    console.print(table)
    if report.source.records:
        rec = Table(title="Source records")
        rec.add_column("record")
        rec.add_column("count", justify="right")
        for name, n in report.source.records.items():
            rec.add_row(name, f"{n:,}")
        console.print(rec)
    if report.source.period:
        console.print(f"Period covered: {report.source.period['from']} … "
                      f"{report.source.period['to']}")
    if report.default_as_of:
        console.print(f"Default as-of date: {report.default_as_of}")
    for note in report.source.notes:
        console.print(f"[dim]{note}[/]")
    for name, path in report.quarantine_files.items():
        console.print(f"[red]Quarantined rows of {name}:[/] {path}")
