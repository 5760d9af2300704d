"""The Typer application behind the ``portrait`` command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from portrait import __version__
from portrait.cli import audience as audience_cli
from portrait.cli import audit as audit_cli
from portrait.cli import campaign as campaign_cli
from portrait.cli import experiment as experiment_cli
from portrait.cli import models as models_cli
from portrait.cli import models_warehouse, render
from portrait.cli import segments as segments_cli
from portrait.cli import serve as serve_cli
from portrait.cli import tags as tags_cli
from portrait.cli import users as users_cli
from portrait.cli.options import JsonOpt, StrictOpt, WorkspaceOpt
from portrait.services import demo, demo_serve, ingest, schema, workspace
from portrait.services.ingest import IngestReport

app = typer.Typer(help="Portrait — the customer portrait (用户画像) platform for retail banks.",
                  no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
ingest_app = typer.Typer(help="Load a source into the warehouse (validated; bad rows quarantined).",
                         no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
schema_app = typer.Typer(help="The canonical data model.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
app.add_typer(tags_cli.app, name="tags")
app.add_typer(audience_cli.app, name="audience")
app.add_typer(segments_cli.app, name="segments")
app.command("profile")(tags_cli.profile_cmd)
app.add_typer(experiment_cli.app, name="experiment")
app.add_typer(campaign_cli.app, name="campaign")
app.add_typer(users_cli.app, name="users")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(models_cli.app, name="models")
app.command("recommend")(models_warehouse.recommend_cmd)
app.command("serve")(serve_cli.serve_cmd)



def _ingest(as_json: bool, call: Callable[[render.RichProgress | None], IngestReport]) -> None:
    report = render.run_with_progress(call, as_json=as_json)
    if as_json:
        render.emit_json(report.as_dict())
    else:
        render.ingest_report(report)


@app.command()
def version() -> None:
    """Print the version."""
    render.console.print(__version__)


@app.command()
def init(workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Create a workspace: settings, warehouse and the key that protects PII."""
    ws = render.run(lambda: workspace.init(workspace_path), as_json=as_json)
    engine = render.run(ws.engine, as_json=as_json)
    engine.close()
    if as_json:
        render.emit_json({"workspace": str(ws.root)})
    else:
        render.console.print(f"Workspace ready: {ws.root}")


@app.command()
def status(workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Show the rows in each canonical table and the latest ingest runs."""
    st = render.run(lambda: workspace.status(workspace_path), as_json=as_json)
    if as_json:
        render.emit_json(st.as_dict())
        return
    table = Table(title=f"Workspace {st.workspace}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in st.tables.items():
        table.add_row(name, f"{n:,}")
    render.console.print(table)
    render.console.print(f"Default as-of date: {st.default_as_of or '—'}")


@schema_app.command("docs")
def schema_docs(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
) -> None:
    """Print (or write) the data model as Markdown."""
    text = schema.data_model_markdown()
    if out is None:
        render.console.out(text, highlight=False)
    else:
        out.write_text(text, encoding="utf-8")
        render.console.print(f"Wrote {out}")


@ingest_app.command("berka")
def ingest_berka(
    folder: Annotated[Path, typer.Argument(help="Folder with the Berka *.asc files.")],
    workspace_path: WorkspaceOpt = None, strict: StrictOpt = False, as_json: JsonOpt = False,
) -> None:
    """Load the PKDD'99 Czech bank data (Berka)."""
    _ingest(as_json, lambda bar: ingest.ingest_berka(workspace_path, folder, strict=strict,
                                                     progress=bar))


@ingest_app.command("csv")
def ingest_csv(
    file: Annotated[Path, typer.Argument(help="The CSV extract.")],
    mapping: Annotated[str, typer.Option(
        "--mapping", "-m", help="Mapping YAML file, or the name of a shipped mapping.")],
    workspace_path: WorkspaceOpt = None, strict: StrictOpt = False, as_json: JsonOpt = False,
) -> None:
    """Load a bank's own CSV extract through a mapping file."""
    _ingest(as_json, lambda bar: ingest.ingest_csv(workspace_path, file, mapping, strict=strict,
                                                   progress=bar))


@ingest_app.command("synth")
def ingest_synth(
    customers: Annotated[int, typer.Option("--customers", "-n", min=1,
                                           help="Number of customers.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    malformed: Annotated[float, typer.Option(
        "--malformed", min=0.0, max=0.5,
        help="Fraction of rows corrupted on purpose, to exercise quarantine.")] = 0.0,
    workspace_path: WorkspaceOpt = None, strict: StrictOpt = False, as_json: JsonOpt = False,
) -> None:
    """Generate a synthetic bank and load it."""
    _ingest(as_json, lambda bar: ingest.ingest_synth(workspace_path, customers, seed,
                                                     malformed=malformed, strict=strict,
                                                     progress=bar))


@app.command("demo")
def demo_cmd(
    customers: Annotated[int, typer.Option("--customers", "-n", min=100,
                                           help="Number of customers.")] = demo.DEFAULT_CUSTOMERS,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    serve: Annotated[bool, typer.Option(
        "--serve", help="Then serve the demo workspace (API and web pages) with a login per role.")] = False,
    host: Annotated[str, typer.Option("--host", help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8000,
    workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Synthetic bank → full pipeline → report; prints where the report is."""
    result = render.run_with_progress(
        lambda bar: demo.run_demo(workspace_path, customers=customers, seed=seed, progress=bar),
        as_json=as_json)
    if as_json:
        render.emit_json(result.as_dict())
        if serve:
            _serve_demo(Path(result.workspace), host, port)
        return
    render.ingest_report(result.ingest)
    for title, rows in result.overview.items():
        table = Table(title=title)
        table.add_column("value")
        table.add_column("count", justify="right")
        for key, n in rows:
            table.add_row(key, f"{n:,}")
        render.console.print(table)
    if result.tags is not None:
        built = result.tags
        render.console.print(f"Tags built as of {built.as_of}: {len(built.tags) - len(built.uncovered)} "
                             f"covered, {len(built.uncovered)} uncovered, {built.customers:,} customers.")
    for prof in result.profiles:
        tags_cli.print_profile(prof, "en")
    for section in result.sections:
        render.console.rule(section.title)
        for line in section.lines:
            render.console.print(line, markup=False, highlight=False)
    render.console.print(f"[bold green]Demo ready.[/] Report: {result.report}")
    if serve:
        _serve_demo(Path(result.workspace), host, port)


def _serve_demo(root: Path, host: str, port: int) -> None:
    logins = render.run(lambda: demo_serve.prepare_demo_users(root), as_json=False)
    render.console.print(f"Serving the demo on [bold]http://{host}:{port}/[/] (Ctrl-C to stop). Logins:")
    for login in logins:
        own = f" — own customer: /customers/{login['own_customer']}" if login.get("own_customer") else ""
        if login["role"] == "compliance":
            own = " — audit log: /audit (verify the chain there)"
        render.console.print(f"  {login['role']}: {login['username']} / {login['password']}{own}",
                             markup=False, highlight=False)
    demo_serve.serve(root, host=host, port=port)


def main() -> None:
    """Console entry point."""
    app()
