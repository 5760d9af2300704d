"""Campaign pages: the list, and one campaign's dashboard (funnel, treatment against
control with 95% intervals, ROI)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portrait.services import guarded as guarded_service
from portrait.services.access import Principal
from portrait.web import render
from portrait.web.auth import guarded, session_of
from portrait.web.i18n import Translator

router = APIRouter(include_in_schema=False)
#: Segments with fewer customers in either arm are left out of the lift chart (their
#: intervals are too wide to read beside the others); the table still lists them.
MIN_ARM = 30


def funnel(record: dict[str, Any], evaluation: dict[str, Any] | None, tr: Translator) -> dict[str, Any]:
    """Funnel steps for the chart: audience → eligible → contacted (treatment) → converted."""
    steps = record.get("funnel") or {}
    labels = [tr("campaigns.step_audience"), tr("campaigns.step_eligible"),
              tr("campaigns.step_treatment"), tr("campaigns.step_control")]
    values = [steps.get("audience"), steps.get("eligible"), steps.get("treatment"), steps.get("control")]
    conversion = (evaluation or {}).get("conversion")
    if conversion:
        labels.append(tr("campaigns.step_converted"))
        values.append(round(conversion["mean_treatment"] * conversion["n_treatment"]))
    return {"labels": labels, "values": [v or 0 for v in values], "label": tr("campaigns.customers"),
            "horizontal": True}


def arms(evaluation: dict[str, Any], tr: Translator) -> dict[str, Any] | None:
    """Conversion by arm (bars), and the lift with its 95% interval, overall and by segment."""
    conversion = evaluation.get("conversion")
    if not conversion:
        return None
    rows = [{"label": tr("campaigns.overall"), "value": conversion["diff"],
             "low": conversion["ci95"][0], "high": conversion["ci95"][1]}]
    for seg in evaluation.get("by_segment") or []:
        c = seg.get("conversion")
        if c and min(seg.get("n_treatment", 0), seg.get("n_control", 0)) >= MIN_ARM:
            rows.append({"label": tr.value(seg["stratum"]), "value": c["diff"], "low": c["ci95"][0],
                         "high": c["ci95"][1]})
    return {
        "rates": {"labels": [tr("campaigns.treatment"), tr("campaigns.control")],
                  "values": [conversion["mean_treatment"], conversion["mean_control"]],
                  "label": tr("campaigns.conversion_rate"), "colors": ["#1d5fa8", "#8a8a8a"],
                  "percent": True, "percent_digits": 1},
        "segments": evaluation.get("by_segment") or [],
        "lift": {"rows": rows, "interval_label": tr("campaigns.ci95"), "percent": True, "percent_digits": 1,
                 "value_label": tr("campaigns.lift"), "axis": tr("campaigns.lift_axis")},
    }


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(request: Request) -> Response:
    def body(principal: Principal) -> Response:
        found = guarded_service.campaigns(session_of(request), principal)
        return render.page(request, "campaigns.html", {"campaigns": found}, nav="campaigns",
                           principal=principal)
    return guarded(request, "campaigns", body)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def dashboard(request: Request, campaign_id: str) -> Response:
    def body(principal: Principal) -> Response:
        data = guarded_service.campaign_dashboard(session_of(request), principal, campaign_id)
        tr = render.translator(request)
        evaluation = data["evaluation"]
        return render.page(request, "campaign.html", {
            "c": data["campaign"], "e": evaluation,
            "funnel_chart": funnel(data["campaign"], evaluation, tr),
            "arms": arms(evaluation, tr) if evaluation else None, "min_arm": MIN_ARM,
        }, nav="campaigns", principal=principal)
    return guarded(request, "campaigns", body)


@router.post("/campaigns/{campaign_id}/evaluate")
def reevaluate(request: Request, campaign_id: str) -> Response:
    def body(principal: Principal) -> Response:
        guarded_service.campaign_dashboard(session_of(request), principal, campaign_id, refresh=True)
        return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)
    return guarded(request, "campaigns", body)
