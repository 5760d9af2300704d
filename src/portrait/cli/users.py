"""``portrait users …``: add, list, disable users; issue API keys."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from portrait.cli import render
from portrait.cli.options import JsonOpt, WorkspaceOpt
from portrait.errors import UsageError
from portrait.services import users as service

app = typer.Typer(help="Users and roles (admin, analyst, marketer, relationship_manager, "
                       "compliance), and API keys for systems.", no_args_is_help=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("No terminal to ask for the password.",
                         hint="Pipe it in with --password-stdin.")
    text: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return text


@app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option("--role", "-r", help="admin, analyst, marketer, "
                                      "relationship_manager or compliance.")],
    rm_id: Annotated[str | None, typer.Option(
        "--rm-id", help="For relationship managers: their id in customers.rm_id.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input.")] = False,
    workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Add a user (the password is stored as an argon2 hash)."""
    user = render.run(lambda: service.add_user(workspace_path, name, role,
                                               _password(password_stdin), rm_id=rm_id),
                      as_json=as_json)
    if as_json:
        render.emit_json(user)
    else:
        render.console.print(f"Added {user['username']} ({user['role']}).")


@app.command("list")
def list_cmd(workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List users."""
    page = render.run(lambda: service.list_users(workspace_path, limit=1_000_000), as_json=as_json)
    if as_json:
        render.emit_json(page["items"])
        return
    table = Table(title="Users")
    for column in ("user", "role", "rm id", "status", "created"):
        table.add_column(column)
    for u in page["items"]:
        table.add_row(u["username"], u["role"], u["rm_id"] or "—",
                      "[red]disabled[/]" if u["disabled"] else "active", u["created_at"])
    render.console.print(table)


@app.command("disable")
def disable_cmd(name: Annotated[str, typer.Argument(help="User name.")],
                workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Disable a user: their tokens and API keys stop working at once."""
    user = render.run(lambda: service.disable_user(workspace_path, name), as_json=as_json)
    if as_json:
        render.emit_json(user)
    else:
        render.console.print(f"Disabled {user['username']}.")


@app.command("apikey")
def apikey_cmd(name: Annotated[str, typer.Argument(help="User the key acts as.")],
               workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Issue an API key for a system (send it as the X-API-Key header). Shown once."""
    key = render.run(lambda: service.create_api_key(workspace_path, name), as_json=as_json)
    if as_json:
        render.emit_json(key)
    else:
        render.console.print(f"API key for {key['username']} (id {key['key_id']}); "
                             "it is not stored and will not be shown again:")
        render.console.out(key["api_key"], highlight=False)
