"""``portrait campaign``: plan, launch, record responses, evaluate, list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from portrait.cli import render
from portrait.cli.options import JsonOpt, StrictOpt, WorkspaceOpt
from portrait.services import campaign

app = typer.Typer(help="Campaigns measured against a randomized control group.",
                  no_args_is_help=True)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:+.2%}"


def _rate(v: float) -> str:
    return f"{v:.2%}"


def _money(v: float) -> str:
    return f"{v:,.2f}"


def print_funnel(funnel: dict[str, Any]) -> None:
    table = Table(title="Funnel")
    table.add_column("step")
    table.add_column("customers", justify="right")
    table.add_row("audience", f"{funnel['audience']:,}")
    for reason, n in funnel["excluded"].items():
        table.add_row(f"  − {reason}", f"{n:,}", style="dim" if not n else None)
    table.add_row("eligible", f"{funnel['eligible']:,}")
    if funnel.get("budget_cap"):
        table.add_row("  − budget_cap", f"{funnel['budget_cap']:,}")
    table.add_row("treatment", f"{funnel['treatment']:,}")
    for channel, n in funnel.get("treatment_by_channel", {}).items():
        table.add_row(f"  {channel}", f"{n:,}", style="dim")
    table.add_row("control (never contacted)", f"{funnel['control']:,}")
    render.console.print(table)
    render.console.print(f"Planned cost: {funnel.get('planned_cost', 0):,.2f}")


@app.command("plan")
def plan_cmd(spec: Annotated[Path, typer.Argument(help="Campaign spec (YAML).")],
             workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Plan a campaign: funnel, arms and balance, without contacting anyone."""
    result = render.run(lambda: campaign.plan(workspace_path, spec), as_json=as_json)
    if as_json:
        render.emit_json(result.as_dict())
        return
    render.console.print(f"Campaign [bold]{result.spec.campaign_id}[/] — {result.spec.name}; "
                         f"send {result.send_at:%Y-%m-%d %H:%M}; tags as of {result.as_of}; "
                         f"stratified by {result.stratify_by or '—'}")
    print_funnel(result.funnel)
    bal = Table(title="Balance (standardized mean difference)")
    for col in ("tag", "treatment", "control", "SMD"):
        bal.add_column(col, justify="left" if col == "tag" else "right")
    for b in result.balance:
        bal.add_row(b.tag, f"{b.mean_treatment:.4g}" if b.mean_treatment is not None else "—",
                    f"{b.mean_control:.4g}" if b.mean_control is not None else "—",
                    f"{b.smd:+.3f}" if b.smd is not None else "—", style="yellow" if b.warn else None)
    render.console.print(bal)
    for v in result.violations:
        render.console.print(f"[red]Compliance[/] [{v.rule}] ({v.language}) {v.offending!r}: {v.message}")
    for note in result.notes:
        render.console.print(f"[yellow]Note:[/] {note}")
    render.console.print(f"Launch with: portrait campaign launch {result.spec.campaign_id}")


@app.command("launch")
def launch_cmd(campaign_id: Annotated[str, typer.Argument(help="Campaign id.")],
               workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Write the channel files and record the contacts (launching twice contacts nobody twice)."""
    result = render.run(lambda: campaign.launch(workspace_path, campaign_id), as_json=as_json)
    if as_json:
        render.emit_json(result.as_dict())
        return
    data = result.as_dict()
    render.console.print(f"Contacted {data['contacted_total']:,} ({data['contacted']}); "
                         f"{data['control_recorded']:,} control customers recorded, not contacted; "
                         f"{data['already_contacted']:,} already contacted; cost {data['cost']:,.2f}.")
    if data["withheld"] or data["budget_skipped"]:
        render.console.print(f"Withheld at launch: {data['withheld']}; over budget: {data['budget_skipped']}")
    for channel, path in data["files"].items():
        render.console.print(f"  {channel}: {path}")


@app.command("responses")
def responses_cmd(file: Annotated[Path, typer.Argument(help="CSV of responses.")],
                  workspace_path: WorkspaceOpt = None, strict: StrictOpt = False,
                  as_json: JsonOpt = False) -> None:
    """Load outcomes (opened, clicked, converted, amount) from a CSV file."""
    result = render.run(lambda: campaign.record_responses(workspace_path, file, strict=strict),
                        as_json=as_json)
    if as_json:
        render.emit_json(result.as_dict())
        return
    render.console.print(f"Loaded {result.loaded:,} responses {result.by_outcome}; "
                         f"rejected {result.rejected:,}.")
    if result.quarantine_file:
        render.console.print(f"[red]Rejected rows:[/] {result.quarantine_file} {result.reasons}")


@app.command("evaluate")
def evaluate_cmd(campaign_id: Annotated[str, typer.Argument(help="Campaign id.")],
                 workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Lift with 95% CI and p-value, ROI, by segment, uplift Qini; writes an HTML report."""
    result = render.run(lambda: campaign.evaluate(workspace_path, campaign_id), as_json=as_json)
    data = result.as_dict()
    if as_json:
        render.emit_json(data)
        return
    conv = data.get("conversion")
    if conv is None:
        render.console.print(data.get("error", "nothing to evaluate"))
        return
    table = Table(title=f"Campaign {campaign_id}: {data['n_treatment']:,} treatment vs "
                        f"{data['n_control']:,} control")
    for col in ("measure", "treatment", "control", "lift", "95% CI", "p-value", "relative lift"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    for label, cmp, pct in (("conversion", conv, True), ("value per customer", data.get("value"), False)):
        if cmp is None:
            continue
        fmt = _rate if pct else _money
        table.add_row(label, fmt(cmp["mean_treatment"]), fmt(cmp["mean_control"]), fmt(cmp["diff"]),
                      f"[{fmt(cmp['ci95'][0])}, {fmt(cmp['ci95'][1])}]", f"{cmp['p_value']:.3g}",
                      _pct(cmp["relative_lift"]))
    render.console.print(table)
    inc = data["incremental_conversions"]
    render.console.print(f"Incremental conversions {inc['estimate']:,.1f} "
                         f"[{inc['ci95'][0]:,.1f}, {inc['ci95'][1]:,.1f}]; cost {data['cost']:,.2f}")
    if data.get("incremental_revenue"):
        rev, roi = data["incremental_revenue"], data.get("roi")
        render.console.print(f"Incremental revenue {rev['estimate']:,.2f} "
                             f"[{rev['ci95'][0]:,.2f}, {rev['ci95'][1]:,.2f}]"
                             + (f"; ROI {roi['estimate']:.2f}" if roi else ""))
    seg = Table(title="By segment")
    for col in ("segment", "n", "treatment", "control", "lift", "95% CI"):
        seg.add_column(col, justify="left" if col == "segment" else "right")
    for s in data["by_segment"]:
        c = s["conversion"]
        seg.add_row(s["stratum"], f"{s['n_treatment'] + s['n_control']:,}",
                    *(("—",) * 4 if c is None else
                      (f"{c['mean_treatment']:.2%}", f"{c['mean_control']:.2%}", f"{c['diff']:+.2%}",
                       f"[{c['ci95'][0]:+.2%}, {c['ci95'][1]:+.2%}]")))
    render.console.print(seg)
    up = data.get("uplift") or {}
    if "qini" in up:
        render.console.print(f"Uplift model ({up['model']}): AUUC {up['auuc']:.4f}, Qini {up['qini']:.4f}")
    render.console.print(f"Report: {data['report']}")


@app.command("list")
def list_cmd(workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Every campaign of the workspace."""
    rows = render.run(lambda: campaign.list_campaigns(workspace_path), as_json=as_json)
    if as_json:
        render.emit_json(rows)
        return
    table = Table(title="Campaigns")
    for col in ("id", "name", "status", "send at", "treatment", "control"):
        table.add_column(col)
    for r in rows:
        f = r.get("funnel") or {}
        table.add_row(r["campaign_id"], r["name"], r["status"], r["send_at"],
                      f"{f.get('treatment', 0):,}", f"{f.get('control', 0):,}")
    render.console.print(table)
