"""``portrait audit …``: verify the hash chain, list entries."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from portrait.cli import render
from portrait.cli.options import JsonOpt, WorkspaceOpt
from portrait.services import audit as service

app = typer.Typer(help="The audit log: every profile view, export, launch and denial.",
                  no_args_is_help=True)


@app.command("verify")
def verify_cmd(workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Check the hash chain; exit code 1 names the first entry edited, deleted or reordered."""
    result = render.run(lambda: service.verify(workspace_path), as_json=as_json)
    if as_json:
        render.emit_json(result.as_dict())
    elif result.ok:
        render.console.print(f"[green]Audit log intact[/]: {result.entries:,} entries verified.")
    else:
        render.errors.print(f"[bold red]Audit log tampered with[/] at entry {result.first_bad_seq}: "
                            f"{result.problem} ({result.entries:,} entries before it verified).",
                            highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command("list")
def list_cmd(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Entries to show.")] = 20,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Entries to skip.")] = 0,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this actor.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """List audit entries, newest first."""
    page = render.run(lambda: service.list_entries(workspace_path, limit=limit, offset=offset,
                                                   who=actor, action=action, subject=target),
                      as_json=as_json)
    if as_json:
        render.emit_json(page)
        return
    table = Table(title=f"Audit log ({page['total']:,} entries match)")
    for column in ("seq", "time (UTC)", "actor", "role", "action", "target", "outcome", "details"):
        table.add_column(column)
    for e in page["items"]:
        style = "red" if e["outcome"] != "allowed" else None
        table.add_row(str(e["seq"]), e["ts"][:19], e["actor"], e["role"], e["action"], e["target"],
                      e["outcome"], json.dumps(e["details"], ensure_ascii=False), style=style)
    render.console.print(table)
