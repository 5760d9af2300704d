"""``portrait audience …``: select customers by their tags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from portrait.cli import render
from portrait.cli.options import AsOfOpt, JsonOpt, WorkspaceOpt, parse_date
from portrait.services import audience as service

app = typer.Typer(help="Audiences (人群圈选): count, save, compare and export customers selected "
                       "by a tag expression.", no_args_is_help=True)

ExprArg = Annotated[str, typer.Argument(
    help="Tag expression, e.g. \"gender = 'F' and age between 25 and 40 and not holds('loan')\".")]


@app.command("count")
def count_cmd(
    expr: ExprArg,
    engine: Annotated[str, typer.Option("--engine", help="bitmap (index) or sql (scan).")] = "bitmap",
    as_of: AsOfOpt = None, workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Count the customers an expression selects."""
    day = parse_date(as_of)
    result = render.run(lambda: service.count(workspace_path, expr, day, engine), as_json=as_json)
    if as_json:
        render.emit_json(result)
        return
    render.console.print(f"[bold]{result['count']:,}[/] customers as of {result['as_of']} "
                         f"({result['engine']}, {result['ms']:.1f} ms"
                         + (", index rebuilt" if result["index_rebuilt"] else "") + ")")


@app.command("sql")
def sql_cmd(
    expr: ExprArg,
    dialect: Annotated[str, typer.Option("--dialect", help="duckdb or spark.")] = "duckdb",
    as_of: AsOfOpt = None, workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Print the SQL that selects the expression's customers from the snapshot."""
    text = render.run(lambda: service.to_sql(workspace_path, expr, dialect, parse_date(as_of)),
                      as_json=as_json)
    if as_json:
        render.emit_json({"dialect": dialect, "sql": text})
    else:
        render.console.out(text, highlight=False)


@app.command("save")
def save_cmd(
    name: Annotated[str, typer.Argument(help="Name of the audience.")],
    expr: ExprArg,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite an audience of that name.")] = False,
    workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Save an expression under a name (checked against the latest snapshot)."""
    result = render.run(lambda: service.save(workspace_path, name, expr, replace=replace),
                        as_json=as_json)
    if as_json:
        render.emit_json(result)
        return
    render.console.print(f"Saved audience [bold]{result['name']}[/].")
    _sizes_table([result])


@app.command("list")
def list_cmd(workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List saved audiences with their size in every snapshot."""
    rows = render.run(lambda: service.list_audiences(workspace_path), as_json=as_json)
    if as_json:
        render.emit_json(rows)
        return
    if not rows:
        render.console.print("No saved audiences. Save one with `portrait audience save NAME EXPR`.")
        return
    _sizes_table(rows)


def _sizes_table(rows: list[dict[str, object]]) -> None:
    days = sorted({s["as_of"] for r in rows for s in r["sizes"]})  # type: ignore[attr-defined]
    table = Table(title="Saved audiences")
    table.add_column("name")
    table.add_column("expression")
    for day in days:
        table.add_column(str(day), justify="right")
    for r in rows:
        by_day = {s["as_of"]: s for s in r["sizes"]}  # type: ignore[attr-defined]
        cells = []
        for day in days:
            s = by_day.get(day)
            cells.append("—" if s is None else (f"{s['size']:,}" if s["size"] is not None
                                                 else f"[dim]{s['error']}[/]"))
        table.add_row(str(r["name"]), str(r["expression"]), *cells)
    render.console.print(table)


@app.command("overlap")
def overlap_cmd(
    a: Annotated[str, typer.Argument(help="A saved audience.")],
    b: Annotated[str, typer.Argument(help="Another saved audience.")],
    as_of: AsOfOpt = None, workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Sizes of two saved audiences, their intersection and Jaccard index."""
    result = render.run(lambda: service.overlap(workspace_path, a, b, parse_date(as_of)),
                        as_json=as_json)
    if as_json:
        render.emit_json(result)
        return
    table = Table(title=f"{a} vs {b} as of {result['as_of']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in ("size_a", "size_b", "intersection", "only_a", "only_b", "union"):
        table.add_row(key, f"{result[key]:,}")
    table.add_row("jaccard", f"{result['jaccard']:.4f}")
    render.console.print(table)


@app.command("export")
def export_cmd(
    name: Annotated[str | None, typer.Argument(help="A saved audience (or use --expr).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="File to write: *.csv or *.parquet.")] = None,
    expr: Annotated[str | None, typer.Option("--expr", help="An expression instead of a name.")] = None,
    tags: Annotated[str | None, typer.Option("--tags", help="Tags to include, comma-separated.")] = None,
    no_ids: Annotated[bool, typer.Option("--no-ids", help="Leave out customer_id (tokens only).")] = False,
    as_of: AsOfOpt = None, workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Write an audience's customer tokens (and the tags asked for) to CSV or Parquet."""
    if out is None:
        raise typer.BadParameter("--out FILE is required (*.csv or *.parquet).")
    wanted = [t.strip() for t in (tags or "").split(",") if t.strip()]
    result = render.run(lambda: service.export(
        workspace_path, out, name=name, expr=expr, tags=wanted, as_of=parse_date(as_of),
        include_customer_id=not no_ids), as_json=as_json)
    if as_json:
        render.emit_json(result)
        return
    render.console.print(f"Wrote {result['rows']:,} customers to {result['path']} ({result['format']}; "
                         f"columns: {', '.join(result['columns'])}).", highlight=False)


@app.command("delete")
def delete_cmd(name: str, workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Delete a saved audience."""
    result = render.run(lambda: service.delete(workspace_path, name), as_json=as_json)
    if as_json:
        render.emit_json(result)
    else:
        render.console.print(f"Deleted audience {name}.")


@app.command("index")
def index_cmd(as_of: AsOfOpt = None, workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Rebuild the bitmap index of a snapshot (tag builds do this on their own)."""
    result = render.run(lambda: service.build_index(workspace_path, parse_date(as_of)), as_json=as_json)
    if as_json:
        render.emit_json(result)
        return
    render.console.print(f"Indexed {result['tags']} tags of {result['customers']:,} customers as of "
                         f"{result['as_of']} in {result['seconds']:.1f} s → {result['path']} "
                         f"({result['bytes'] / 1e6:.1f} MB)", highlight=False)
