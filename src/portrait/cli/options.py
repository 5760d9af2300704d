"""Options shared by every command."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

WorkspaceOpt = Annotated[Path | None, typer.Option(
    "--workspace", "-w", help="Workspace folder (default: $PORTRAIT_HOME or ./portrait-workspace).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="Publish nothing if any row is rejected (exit code 3).")]
CatalogOpt = Annotated[list[Path] | None, typer.Option(
    "--catalog", help="Extra tag catalog folder (repeatable); its tags add to or replace shipped ones.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Date YYYY-MM-DD (default: the workspace's default as-of date).")]


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD).") from None
