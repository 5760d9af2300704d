"""``portrait models train`` (warehouse), ``list``, ``show``, ``evaluate``, ``fairness``,
``score`` and ``portrait recommend``: thin shells over services.models / services.recommend."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from portrait.cli import render
from portrait.cli.options import JsonOpt, WorkspaceOpt, parse_date
from portrait.errors import UsageError
from portrait.services import models as models_service
from portrait.services import recommend as recommend_service

AsOfListOpt = Annotated[list[str] | None, typer.Option(
    "--as-of", help="Training as-of date YYYY-MM-DD (repeatable; the latest is the test date).")]
HorizonOpt = Annotated[str, typer.Option("--horizon", help="Outcome window after each date: 90d, 12m …")]
GroupOpt = Annotated[list[str] | None, typer.Option(
    "--group", help="Extra target over several categories, NAME=cat1,cat2 (repeatable).")]
OnlyOpt = Annotated[list[str] | None, typer.Option(
    "--only", help="Train just this model, e.g. churn or propensity_wealth (repeatable).")]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of titles and reasons: en or zh.")]
NameArg = Annotated[str, typer.Argument(help="Model name, e.g. churn or propensity_wealth.")]


def _f(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _f3(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.3f}"


def _groups(values: list[str] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in values or []:
        name, _, cats = v.partition("=")
        if not name or not cats:
            raise typer.BadParameter(f"{v!r}: write NAME=cat1,cat2.")
        out[name.strip()] = [c.strip() for c in cats.split(",") if c.strip()]
    return out


def train_warehouse(as_of: list[str] | None, horizon: str, group: list[str] | None,
                    workspace_path: Path | None, as_json: bool,
                    only: list[str] | None = None) -> None:
    """Train every warehouse model and print their figures beside the baselines."""
    dates = [d for d in (parse_date(v) for v in as_of or []) if d is not None] or None
    groups = _groups(group)
    result = render.run_with_progress(
        lambda bar: models_service.train_all(workspace_path, as_of=dates, horizon=horizon,
                                             groups=groups, only=only, progress=bar),
        as_json=as_json)
    if as_json:
        render.emit_json(result)
        return
    splits = sorted({m["split"] for m in result["models"]})
    period = (f"Trained on {', '.join(result['as_of'])}, horizon {result['horizon_days']} d"
              if result["as_of"] else "Trained on campaign outcomes")
    table = Table(title=f"{period}, split {'/'.join(splits) or '—'} (AUC; ρ for value)")
    table.add_column("model", no_wrap=True)
    for col in ("test", "AUC", "logit", "segm.", "PR-AUC", "lift10", "fair"):
        table.add_column(col, justify="right")
    for m in result["models"]:
        mt, bl = m["metrics"], m["baselines"]
        fair = "flag" if m["fairness_flagged"] else "ok"
        name = m["name"].removeprefix("propensity_")
        if m["kind"] == "value":
            persist = bl.get("assets_at_t", {}).get("spearman")
            table.add_row(name, f"{m['n_test']:,}", _f3(mt.get("spearman")), "",
                          _f3(persist), "", "", fair)
            continue
        table.add_row(name, f"{m['n_test']:,}", _f3(mt.get("auc")),
                      _f3(bl.get("logistic", {}).get("auc")), _f3(bl.get("segment_rate", {}).get("auc")),
                      _f3(mt.get("pr_auc")), f"{mt.get('lift_top_decile', 0):.1f}", fair)
    render.console.print(table)
    responses = result.get("responses") or {}
    for m in result["models"]:
        if m["kind"] == "response":
            render.console.print(f"{m['name']}: campaigns {', '.join(m['campaigns'])} "
                                 f"({m['split']} split)", highlight=False)
    for cid, why in responses.get("left_out", {}).items():
        render.console.print(f"[yellow]campaign left out[/] {cid}: {why}", highlight=False)
    for name, why in result["skipped"].items():
        render.console.print(f"[yellow]skipped[/] {name}: {why}", highlight=False)
    if result["scored"]:
        s = result["scored"]
        render.console.print(f"Scores written to the snapshot as of {s['as_of']}: "
                             f"{len(s['tags'])} tags for {s['customers']:,} customers.")
    render.console.print(f"Done in {result['seconds']} s.")


def list_cmd(workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List the registered models."""
    rows = render.run(lambda: models_service.list_models(workspace_path), as_json=as_json)
    if as_json:
        render.emit_json(rows)
        return
    table = Table(title="Registered models")
    for col in ("name", "version", "kind", "as-of dates", "split", "AUC / ρ"):
        table.add_column(col)
    for r in rows:
        m = r["metrics"]
        table.add_row(r["name"], r["version"], r["kind"], ", ".join(r["as_of_dates"]), r["split"],
                      _f(m.get("auc", m.get("spearman"))))
    render.console.print(table)


def show_cmd(name: NameArg, version: Annotated[str | None, typer.Option(
        "--version", help="A version (default: the latest).")] = None,
             workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Show a model's registry entry: dates, features, parameters, metrics, data hash."""
    meta = render.run(lambda: models_service.show_model(workspace_path, name, version),
                      as_json=as_json)
    if as_json:
        render.emit_json(meta)
        return
    for key in ("name", "version", "kind", "created_at", "as_of_dates", "test_dates", "split",
                "horizon_days", "n_train", "n_test", "best_iteration", "data_hash"):
        render.console.print(f"[bold]{key}[/]: {meta.get(key)}", highlight=False)
    render.console.print(f"[bold]features[/]: {len(meta['features'])} tags; excluded: "
                         f"{len(meta['excluded'])}", highlight=False)
    render.console.print(f"[bold]libraries[/]: {meta['library_versions']}", highlight=False)


def evaluate_cmd(name: NameArg, as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Re-score the model on this date YYYY-MM-DD (features as of it, outcomes "
                        "in the model's horizon after it) beside its stored figures.")] = None,
                 workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The evaluation report: metrics beside baselines, reliability table, fairness."""
    day = parse_date(as_of)
    rep = render.run_with_progress(
        lambda bar: models_service.evaluate(workspace_path, name, day, progress=bar), as_json=as_json)
    if as_json:
        render.emit_json(rep)
        return
    if "at_date" in rep:
        _print_at_date(rep)
        return
    table = Table(title=f"{name} {rep['version']}: tested on {', '.join(rep['test_dates'])} "
                        f"({rep['split']}, {rep['n_test']:,} rows)")
    table.add_column("metric")
    table.add_column("model", justify="right")
    for b in rep["baselines"]:
        table.add_column(b, justify="right")
    keys = [k for k, v in rep["metrics"].items() if isinstance(v, float | int) and k != "n"]
    for k in keys:
        table.add_row(k, _f(rep["metrics"][k]), *[_f(v.get(k)) for v in rep["baselines"].values()])
    render.console.print(table)
    if rep["metrics"].get("reliability"):
        rel = Table(title="Reliability (equal-frequency bins)")
        for col in ("bin", "mean score", "observed", "n"):
            rel.add_column(col, justify="right")
        for r in rep["metrics"]["reliability"]:
            rel.add_row(str(r["bin"]), _f(r["mean_score"]), _f(r["observed_rate"]), f"{r['n']:,}")
        render.console.print(rel)
    _print_fairness(rep["fairness"])
    render.console.print("top features: " + ", ".join(rep["top_features"]), highlight=False)


def _print_at_date(rep: dict[str, Any]) -> None:
    """A model's figures on a later date beside those stored at training time."""
    at = rep["at_date"]
    table = Table(title=f"{rep['name']} {rep['version']} as of {at['as_of']} (outcomes to "
                        f"{at['window'][1]}, {at['n']:,} rows) vs. stored (tested on "
                        f"{', '.join(rep['test_dates'])})")
    for col in ("metric", f"as of {at['as_of']}", "stored", "change"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    keys = ("auc", "pr_auc", "lift_top_decile", "brier", "base_rate", "positives", "n",
            "rmse", "mae", "r2", "spearman")
    for k in keys:
        new, old = at["metrics"].get(k), rep["metrics"].get(k)
        if new is None and old is None:
            continue
        change = new - old if isinstance(new, int | float) and isinstance(old, int | float) else None
        shown = "" if change is None else f"{change:+,}" if isinstance(change, int) else f"{change:+.4f}"
        table.add_row(k, _f(new), _f(old), shown)
    render.console.print(table)
    for note in at["notes"]:
        render.console.print(f"[yellow]note[/] {note}", highlight=False)
    _print_fairness(at["fairness"])
    stored_flag, now_flag = rep["fairness"].get("flagged"), at["fairness"].get("flagged")
    render.console.print(f"fairness flagged: {'yes' if now_flag else 'no'} as of {at['as_of']} "
                         f"({'yes' if stored_flag else 'no'} at training)", highlight=False)


def _print_fairness(audit: dict[str, Any]) -> None:
    for attr, res in audit.get("attributes", {}).items():
        table = Table(title=f"Fairness by {attr} (top {audit.get('top_share', 0.1):.0%})")
        for col in ("group", "n", "selection rate", "ratio", "TPR", "ratio", "flag"):
            table.add_column(col, justify="right")
        for g in res["groups"]:
            table.add_row(g["group"], f"{g['n']:,}", _f(g["selection_rate"]), _f(g["selection_ratio"]),
                          _f(g["tpr"]), _f(g["tpr_ratio"]),
                          "FLAG" if g["flagged"] else ("small" if g["small"] else ""))
        render.console.print(table)


def fairness_cmd(name: NameArg, workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Selection rate and true-positive rate in the top decile by gender and generation."""
    rep = render.run(lambda: models_service.fairness(workspace_path, name), as_json=as_json)
    if as_json:
        render.emit_json(rep)
        return
    _print_fairness(rep)
    render.console.print("[red]Flagged[/]" if rep.get("flagged") else "No group below 0.8.")


def score_cmd(workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Score the latest snapshot with every registered model (scores become model tags)."""
    rep = render.run_with_progress(
        lambda bar: models_service.score_latest(workspace_path, progress=bar), as_json=as_json)
    if as_json:
        render.emit_json(rep)
        return
    render.console.print(f"Wrote {len(rep['tags'])} model tags for {rep['customers']:,} customers "
                         f"into the snapshot as of {rep['as_of']}.")


def recommend_cmd(
    customer_id: Annotated[str | None, typer.Argument(help="The customer.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every customer of the latest snapshot.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="JSON-lines file (with --all).")] = None,
    lang: LangOpt = "en", workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Next best products: held / browsed-not-held / predicted, suitability-checked, with reasons."""
    if all_:
        if out is None:
            render.run(lambda: _usage("--all needs --out FILE."), as_json=as_json)
            return
        target = out
        rep = render.run_with_progress(
            lambda bar: recommend_service.recommend_all(workspace_path, target, lang, bar),
            as_json=as_json)
        if as_json:
            render.emit_json(rep)
        else:
            render.console.print(f"Shelves for {rep['customers']:,} customers → {rep['out']} "
                                 f"({rep['customers_per_second']:,} customers/s); "
                                 f"{rep['risk_assessment_needed']:,} need a risk assessment.")
        return
    if customer_id is None:
        render.run(lambda: _usage("Give a CUSTOMER_ID, or --all --out FILE."), as_json=as_json)
        return
    cid = customer_id
    rep = render.run(lambda: recommend_service.recommend(workspace_path, cid, lang), as_json=as_json)
    if as_json:
        render.emit_json(rep)
        return
    print_shelf(rep)


def _usage(message: str) -> None:
    raise UsageError(message, hint="portrait recommend CUSTOMER_ID | --all --out FILE")


def print_shelf(rep: dict[str, Any]) -> None:
    """A customer's shelf as one table per tier."""
    render.console.print(f"[bold]Customer {rep['customer_id']}[/] · risk level "
                         f"{rep['risk_level'] or '—'} (up to {rep['max_grade']}) · as of {rep['as_of']}",
                         highlight=False)
    for flag in rep["flags"]:
        render.console.print(f"[yellow]⚑ {flag}[/]")
    for tier, title in (("held", "Held (fixed)"), ("migratable", "Browsed, not held (migratable)"),
                        ("predicted", "Predicted (transferable)")):
        table = Table(title=title)
        for col in ("product", "category", "grade", "propensity", "reasons"):
            table.add_column(col)
        for o in rep[tier]:
            table.add_row(f"{o['product_id']} {o['name']}", o["category"], o["risk_grade"],
                          _f(o["propensity"]), "; ".join(r["text"] for r in o["reasons"]))
        render.console.print(table)
