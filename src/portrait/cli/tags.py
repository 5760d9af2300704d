"""``portrait tags …`` and ``portrait profile``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from portrait.cli import render
from portrait.cli.options import AsOfOpt, CatalogOpt, JsonOpt, WorkspaceOpt, parse_date
from portrait.services import tags as service


def render_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)


app = typer.Typer(help="The tag catalog: build snapshots, inspect tags, history.",
                  no_args_is_help=True)


@app.command("build")
def build_cmd(
    as_of: AsOfOpt = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Build just these tags.")] = None,
    engine: Annotated[str | None, typer.Option(
        "--engine", help="Engine that computes the snapshot: duckdb (default) or spark.")] = None,
    incremental: Annotated[bool, typer.Option(
        "--incremental/--full",
        help="Carry static tags over from the earlier snapshot when nothing they read changed "
             "(default), or recompute every tag.")] = True,
    score: Annotated[bool, typer.Option(
        "--score/--no-score",
        help="Re-score the new snapshot with the registered models when it is the latest "
             "(default), or leave its model tags empty until `portrait models score`.")] = True,
    catalog: CatalogOpt = None, workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Compute the tag snapshot as of a date and publish it atomically."""
    day = parse_date(as_of)
    report = render.run_with_progress(
        lambda bar: service.build_tags(workspace_path, as_of=day, only=only, catalogs=catalog,
                                       engine=engine, progress=bar, incremental=incremental,
                                       score=score),
        as_json=as_json)
    if as_json:
        render.emit_json(report.as_dict())
        return
    table = Table(title=f"Tags as of {report.as_of} — {report.customers:,} customers")
    table.add_column("tag")
    table.add_column("coverage", justify="right")
    table.add_column("note")
    for name in report.tags:
        note = report.uncovered.get(name, "")
        table.add_row(name, f"{report.coverage.get(name, 0):.1%}", f"uncovered: {note}" if note else "",
                      style="dim" if note else None)
    render.console.print(table)
    render.console.print(f"{len(report.tags) - len(report.uncovered)} tags covered, "
                         f"{len(report.uncovered)} uncovered; {report.history_changes:,} values "
                         "changed since the previous snapshot.")
    if report.carried:
        render.console.print(f"{len(report.carried)} static tags carried over from the snapshot as of "
                             f"{report.carried_from} (their inputs are unchanged): "
                             f"{', '.join(report.carried)}.")
    if report.rescored:
        render.console.print(f"Re-scored with {len(report.rescored)} registered models: "
                             f"{', '.join(report.rescored)}.", highlight=False)
    elif report.rescore_note and report.rescore_note != "no registered models":
        render.console.print(f"Model tags not re-scored: {report.rescore_note}.", highlight=False)


@app.command("list")
def list_cmd(catalog: CatalogOpt = None, workspace_path: WorkspaceOpt = None,
             as_json: JsonOpt = False) -> None:
    """List the catalog's tags."""
    rows = render.run(lambda: service.list_tags(workspace_path, catalog), as_json=as_json)
    if as_json:
        render.emit_json(rows)
        return
    table = Table(title=f"{len(rows)} tags")
    for col in ("name", "family", "type", "kind", "sensitivity", "title_en", "title_zh"):
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(r[c]) for c in ("name", "family", "type", "kind", "sensitivity",
                                             "title_en", "title_zh")))
    render.console.print(table)


@app.command("show")
def show_cmd(name: str, catalog: CatalogOpt = None, workspace_path: WorkspaceOpt = None,
             as_json: JsonOpt = False) -> None:
    """Show one tag's definition, dependencies and users."""
    data = render.run(lambda: service.show_tag(workspace_path, name, catalog), as_json=as_json)
    if as_json:
        render.emit_json(data)
        return
    for key, value in data.items():
        render.console.print(f"[bold]{key}[/]: {value}", highlight=False)


@app.command("sql")
def sql_cmd(
    name: str,
    dialect: Annotated[str, typer.Option("--dialect", help="duckdb or spark.")] = "duckdb",
    as_of: AsOfOpt = None, catalog: CatalogOpt = None, workspace_path: WorkspaceOpt = None,
) -> None:
    """Print the SQL that computes a tag."""
    text = render.run(lambda: service.tag_sql(workspace_path, name, dialect, parse_date(as_of), catalog),
                      as_json=False)
    render.console.out(text, highlight=False)


@app.command("history")
def history_cmd(customer_id: str,
                tag: Annotated[str | None, typer.Option("--tag", help="Only this tag.")] = None,
                workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """How a customer's tags moved over time."""
    rows = render.run(lambda: service.history(workspace_path, customer_id, tag), as_json=as_json)
    if as_json:
        render.emit_json(rows)
        return
    table = Table(title=f"Tag history of customer {customer_id}")
    for col in ("tag", "value", "valid_from", "valid_to"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["tag"], r["value"], r["valid_from"], r["valid_to"] or "now")
    render.console.print(table)


@app.command("diff")
def diff_cmd(first: str, second: str, workspace_path: WorkspaceOpt = None,
             as_json: JsonOpt = False) -> None:
    """Count, per tag, customers whose value changed between two snapshots."""
    a, b = parse_date(first), parse_date(second)
    assert a is not None and b is not None
    data = render.run(lambda: service.diff(workspace_path, a, b), as_json=as_json)
    if as_json:
        render.emit_json(data)
        return
    table = Table(title=f"Changes {data['from']} → {data['to']} ({data['new_customers']:,} new customers)")
    table.add_column("tag")
    table.add_column("customers changed", justify="right")
    for tag, n in data["changed"].items():
        table.add_row(tag, f"{n:,}")
    render.console.print(table)


def profile_cmd(
    customer_id: str,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "en",
    as_of: AsOfOpt = None, catalog: CatalogOpt = None, workspace_path: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print every tag of a customer, grouped by family."""
    if lang not in ("en", "zh"):
        raise typer.BadParameter("--lang must be en or zh")
    prof = render.run(lambda: service.customer_profile(workspace_path, customer_id, as_of=parse_date(as_of),
                                                       lang=lang, catalogs=catalog), as_json=as_json)
    if as_json:
        render.emit_json(prof.as_dict())
        return
    print_profile(prof, lang)


def print_profile(prof: service.Profile, lang: str) -> None:
    """A customer's tags as one table per family."""
    customer_id = prof.customer_id
    names = {"basic": ("Basic", "基本信息"), "economic": ("Economic", "经济状况"),
             "preference": ("Preference", "偏好"), "session": ("Session", "行为"),
             "lifecycle": ("Lifecycle", "生命周期"), "model": ("Model", "模型")}
    for family, values in prof.families.items():
        title = names[family][1 if lang == "zh" else 0]
        table = Table(title=f"{title} — {customer_id} @ {prof.as_of}")
        table.add_column("tag")
        table.add_column("value")
        for v in values:
            table.add_row(v.title, render_value(v.value))
        render.console.print(table)
    if prof.uncovered:
        render.console.print(("未覆盖: " if lang == "zh" else "Uncovered: ")
                             + ", ".join(sorted(prof.uncovered)), style="dim")


@app.command("quality")
def quality_cmd(
    outcome: Annotated[list[str] | None, typer.Option(
        "--outcome", help="Product category whose adoption the tags should predict (repeatable).")] = None,
    horizon: Annotated[str, typer.Option("--horizon", help="Adoption window after the as-of date.")] = "90d",
    as_of: AsOfOpt = None, catalog: CatalogOpt = None, workspace_path: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Coverage, stability (PSI), predictive value (IV, lift), redundancy and a pruning list."""
    day = parse_date(as_of)
    report = render.run_with_progress(
        lambda bar: service.tag_quality(workspace_path, as_of=day, outcomes=outcome, horizon=horizon,
                                        catalogs=catalog, progress=bar), as_json=as_json)
    if as_json:
        render.emit_json(report.as_dict())
        return
    analysed = [o.category for o in report.outcomes if o.analysed]
    pruned = {p.tag: p.reason for p in report.prune}
    table = Table(title=f"Tag quality as of {report.as_of} — {report.customers:,} customers"
                        + (f", PSI vs {report.previous_as_of}" if report.previous_as_of else ""))
    table.add_column("tag", no_wrap=True)
    for col in ("type", "coverage", "distinct", "PSI"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for o in analysed:
        table.add_column(f"IV {o}", justify="right")
        table.add_column(f"lift {o}", justify="right")
    table.add_column("prune")
    styles = {"unstable": "red", "moderate": "yellow"}
    for t in report.tags:
        psi = "—" if t.psi is None else f"[{styles.get(t.stability or '', 'default')}]{t.psi:.3f}[/]"
        cells = [t.name, t.type, f"{t.coverage:.1%}", f"{t.cardinality:,}", psi]
        for o in analysed:
            res = t.outcomes[o]
            cells += [f"{res.iv:.3f}", f"{res.lift:.2f}"]
        cells.append(pruned.get(t.name, ""))
        table.add_row(*cells, style="dim" if t.name in pruned else None)
    render.console.print(table)
    for out in report.outcomes:
        render.console.print(f"Adoption of {out.category} in ({out.start}, {out.end}]: {out.adopters:,} "
                             f"of {out.population:,} ({out.rate:.2%}); {out.already_holding:,} already "
                             "held it." + (f" {out.note}" if out.note else ""), highlight=False)
    if report.pairs:
        pairs = Table(title="Redundant pairs (> 0.9)")
        for col in ("tag A", "tag B", "measure", "value"):
            pairs.add_column(col)
        for p in report.pairs:
            pairs.add_row(p.a, p.b, p.measure, f"{p.value:.3f}")
        render.console.print(pairs)
    if report.prune:
        prune = Table(title="Pruning list")
        for col in ("tag", "reason", "why"):
            prune.add_column(col)
        for item in report.prune:
            prune.add_row(item.tag, item.reason, item.detail)
        render.console.print(prune)
    for note in report.notes:
        render.console.print(f"[dim]{note}[/]")
    render.console.print(f"HTML report: {report.html_path}", highlight=False)
