"""Campaign use cases: plan, launch, record responses, evaluate, list; and the demo run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlglot import exp

from portrait.audience import saved
from portrait.campaign import evaluate as evaluating
from portrait.campaign import launch as launching
from portrait.campaign import plan as planning
from portrait.campaign import registry, report_html, responses, simulate
from portrait.campaign.policy import PolicySettings
from portrait.campaign.spec import CampaignSpec, load_spec
from portrait.errors import DefinitionError, NotFoundError, UsageError
from portrait.services import audience as audience_service
from portrait.services import workspace
from portrait.services.tags import plan_for
from portrait.store import Workspace
from portrait.store.engine import Engine
from portrait.tags import snapshots

EXPORTS = "exports"


@contextmanager
def _engine(ws: Workspace) -> Iterator[Engine]:
    engine = ws.engine()
    try:
        yield engine
    finally:
        engine.close()


def _snapshot(engine: Engine, as_of: dt.date | None) -> dict[str, Any]:
    snap = snapshots.find(engine, as_of)
    if snap is None:
        raise NotFoundError(f"No tag snapshot{' as of ' + as_of.isoformat() if as_of else ''}.",
                            hint="Build tags first: portrait tags build")
    return snap


def _sensitivity(ws_path: Path | None) -> dict[str, str]:
    return {name: tag.spec.sensitivity for name, tag in plan_for(ws_path).tags.items()}


def _top(engine: Engine, table: str, spec: CampaignSpec, within: list[str] | None) -> list[str]:
    top = spec.audience.top
    assert top is not None
    score = exp.column(top.score)
    select = (exp.select(exp.column("customer_id")).from_(exp.to_table(table))
              .where(score.is_(exp.null()).not_())
              .order_by(exp.Ordered(this=score, desc=True), exp.column("customer_id")))
    ids = [str(r[0]) for r in engine.query(select)]
    if within is not None:
        allowed = set(within)
        ids = [c for c in ids if c in allowed]
    return ids[: top.n]


def audience_ids(ws_path: Path | None, spec: CampaignSpec) -> list[str]:
    """The customers of a spec's audience (expression, saved audience or top-N by a score)."""
    aud = spec.audience
    if aud.expression is not None:
        return audience_service.select_ids(ws_path, aud.expression, spec.as_of)
    ws = workspace.open_(ws_path)
    if aud.saved is not None:
        with _engine(ws) as engine:
            expression = saved.get(engine, aud.saved).expression
        return audience_service.select_ids(ws_path, expression, spec.as_of)
    assert aud.top is not None
    within = (audience_service.select_ids(ws_path, aud.top.where, spec.as_of)
              if aud.top.where else None)
    with _engine(ws) as engine:
        return _top(engine, str(_snapshot(engine, spec.as_of)["table"]), spec, within)


def plan(ws_path: Path | None, spec_path: Path) -> planning.CampaignPlan:
    """Plan a campaign from its spec file: the funnel, arms and balance; contacts nobody.

    Raises:
        DefinitionError: The spec is invalid, or a campaign with its id was already launched.
    """
    spec = load_spec(spec_path)
    ws = workspace.open_(ws_path)
    with _engine(ws) as engine:
        existing = registry.find(engine, spec.campaign_id)
    if existing is not None and existing.status == registry.LAUNCHED:
        raise DefinitionError(f"Campaign {spec.campaign_id!r} was launched on "
                              f"{existing.launched_at}; its plan can no longer change.",
                              hint="Give the new campaign another id in the spec.")
    ids = audience_ids(ws_path, spec)
    sensitivity = _sensitivity(ws_path)
    with _engine(ws) as engine:
        snap = _snapshot(engine, spec.as_of)
        result = planning.build(engine, spec, ids, snapshot=snap, keyed=ws.cipher().token,
                                settings=PolicySettings.from_config(ws.config, ws.root),
                                sensitivity=sensitivity, origin=str(spec_path))
        assert result.members is not None
        registry.save_plan(engine, spec, str(spec_path), result.as_of, result.send_at,
                           result.summary(), result.members)
    return result


def launch(ws_path: Path | None, campaign_id: str) -> launching.LaunchResult:
    """Launch a planned campaign: channel files and contact records (idempotent)."""
    ws = workspace.open_(ws_path)
    sensitivity = _sensitivity(ws_path)
    with _engine(ws) as engine:
        record = registry.get(engine, campaign_id)
        snap = _snapshot(engine, record.as_of)
        category = record.summary.get("product", {}).get("category")
        return launching.launch(engine, record, registry.members(engine, campaign_id),
                                cipher=ws.cipher(), exports_dir=ws.root / EXPORTS,
                                snapshot=str(snap["table"]),
                                settings=PolicySettings.from_config(ws.config, ws.root),
                                category=category, sensitivity=sensitivity)


def list_campaigns(ws_path: Path | None) -> list[dict[str, Any]]:
    """Every campaign of the workspace, latest first, with its funnel."""
    ws = workspace.open_(ws_path)
    with _engine(ws) as engine:
        return [r.as_dict() for r in registry.list_all(engine)]


def record_responses(ws_path: Path | None, file: Path, *, strict: bool = False) -> responses.ResponsesReport:
    """Load campaign responses from a CSV file (rejected rows go to quarantine)."""
    ws = workspace.open_(ws_path)
    with _engine(ws) as engine:
        return responses.load_csv(engine, file, ws.quarantine_dir, strict=strict)


def evaluate(ws_path: Path | None, campaign_id: str) -> evaluating.Evaluation:
    """Evaluate a launched campaign; writes ``reports/campaign-<id>.html``.

    Conversions seen as new holdings of the campaign's product in the attribution window
    are recorded as responses first.
    """
    ws = workspace.open_(ws_path)
    with _engine(ws) as engine:
        record = registry.get(engine, campaign_id)
        if record.status != registry.LAUNCHED:
            raise UsageError(f"Campaign {campaign_id!r} has not been launched yet.",
                             hint=f"Launch it first: portrait campaign launch {campaign_id}")
        detected = responses.detect_from_holdings(engine, record)
        snap = _snapshot(engine, record.as_of)
        result = evaluating.evaluate(engine, record, str(snap["table"]))
    result.data["conversions_from_holdings"] = detected
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    report = ws.reports_dir / f"campaign-{campaign_id}.html"
    report.write_text(report_html.render(result.as_dict()), encoding="utf-8")
    result.data["report"] = str(report)
    return result


#: The demo's simulated customers convert (and are moved) more the more liquid assets they
#: hold, so the response and uplift models have something real to find.
DEMO_AFFINITY_TAG = "liquid_assets"
DEMO_SPEC = """\
id: demo-wealth
name: Demo — 稳享固收1年 to reachable customers
objective: {product: WM_FIX_1Y, revenue_rate: 0.01}
audience: {top: {score: aum, n: 1000000}}
channels:
  - {channel: app_push, cost: 0.02}
  - {channel: sms, cost: 0.05}
  - {channel: email, cost: 0.01}
templates:
  zh: >-
    {salutation}，稳享固收1年理财产品现已发售，详情请打开手机银行查看。
    理财非存款、产品有风险、投资须谨慎。
  en: >-
    {salutation}, our 1-year fixed-income wealth product is now on sale; see the mobile
    app. Wealth management products are not deposits; products carry risk; invest with
    caution.
schedule: {start: %(start)s, end: %(end)s}
control_share: 0.2
attribution_days: 30
"""


def _tag_values(engine: Engine, snap: dict[str, Any], tag: str) -> dict[str, float | None]:
    """customer id → the tag's value in the snapshot (empty when the tag is not there)."""
    if tag not in snap["tags"]:
        return {}
    rows = engine.query(exp.select("customer_id", exp.column(tag, quoted=True))
                        .from_(exp.to_table(str(snap["table"]))))
    return {str(r[0]): (None if r[1] is None else float(r[1])) for r in rows}


def run_demo_campaign(ws_path: Path | None, *, seed: int = 0) -> dict[str, Any]:
    """Plan → launch → simulated responses with a known uplift per segment → evaluate.

    The spec is written to ``<workspace>/campaigns/demo-wealth.yaml`` and sent the Monday
    after the tag snapshot's date at 10:00. Returns the plan, launch and evaluation, the
    planted truth, and whether the estimated lift's 95% interval covers it.
    """
    ws = workspace.open_(ws_path)
    with _engine(ws) as engine:
        as_of = _snapshot(engine, None)["as_of"]
        previous = registry.find(engine, "demo-wealth")
    if previous is not None and previous.status == registry.LAUNCHED:
        raise DefinitionError("The demo campaign 'demo-wealth' was already run in this workspace.",
                              hint="Use a fresh workspace for the demo.")
    start = dt.datetime.combine(as_of + dt.timedelta(days=7 - as_of.weekday()), dt.time(10))
    spec_path = ws.root / "campaigns" / "demo-wealth.yaml"
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(DEMO_SPEC % {"start": start.isoformat(),
                                      "end": (start + dt.timedelta(days=14)).isoformat()},
                         encoding="utf-8")
    planned = plan(ws_path, spec_path)
    launched = launch(ws_path, planned.spec.campaign_id)
    with _engine(ws) as engine:
        record = registry.get(engine, planned.spec.campaign_id)
        members = [m for m in registry.members(engine, record.campaign_id).to_pylist()
                   if m["arm"] is not None]
        assets = _tag_values(engine, _snapshot(engine, None), DEMO_AFFINITY_TAG)
    weights = simulate.affinities(assets, {m["customer_id"]: str(m["stratum"]) for m in members})
    members = [{**m, "affinity": weights[m["customer_id"]]} for m in members]
    file = ws.root / EXPORTS / record.campaign_id / "responses-simulated.csv"
    truth = simulate.simulate(members,
                              campaign_id=record.campaign_id, send_at=record.send_at,
                              attribution_days=record.spec.attribution_days, out=file, seed=seed)
    loaded = record_responses(ws_path, file)
    result = evaluate(ws_path, record.campaign_id)
    conv = result.data.get("conversion") or {}
    ci = conv.get("ci95") or [float("nan"), float("nan")]
    return {"campaign_id": record.campaign_id, "spec": str(spec_path), "plan": planned.as_dict(),
            "launch": launched.as_dict(), "responses": loaded.as_dict(),
            "truth": truth.as_dict(), "evaluation": result.as_dict(),
            "estimated_lift": conv.get("diff"), "ci95": ci,
            "covers_truth": bool(ci[0] <= truth.ate <= ci[1]),
            "report": result.data.get("report")}
