"""Campaigns: list, plan from a spec, dashboard (funnel and evaluation), launch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from portrait.api.deps import PageDep, PrincipalDep, SessionDep
from portrait.services import campaign_upload, guarded, secured

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"])
CampaignId = Annotated[str, Path(min_length=1, max_length=100)]
SPEC_EXAMPLE = """\
id: wealth_q1
name: Wealth Q1
objective: {product: WM_FIX_1Y, revenue_rate: 0.01}
audience: {expression: "value_tier = 'affluent'"}
channels:
  - {channel: app_push, cost: 0.02}
templates:
  zh: "{salutation}，稳享固收1年理财开售。理财非存款、产品有风险、投资须谨慎。"
  en: "{salutation}, ... Wealth management products are not deposits; products carry risk;
    invest with caution."
schedule: {start: 2026-01-05T10:00:00, end: 2026-01-19T18:00:00}
control_share: 0.1
"""


class PlanRequest(BaseModel):
    """A campaign spec: the text of the YAML file ``portrait campaign plan`` reads."""

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"spec": SPEC_EXAMPLE}]})
    spec: str = Field(min_length=1, max_length=campaign_upload.MAX_SPEC,
                      description="The campaign spec as YAML text (see portrait.campaign.spec).")


@router.get("", summary="Campaigns with their funnels")
def list_campaigns(session: SessionDep, principal: PrincipalDep, page: PageDep) -> dict[str, Any]:
    found = guarded.campaigns(session, principal)
    return {"items": found[page.offset: page.offset + page.limit], "total": len(found),
            "limit": page.limit, "offset": page.offset}


@router.post("/plan", summary="Plan a campaign from its spec (contacts nobody)",
             responses={422: {"description": "The spec is invalid; the error names the field "
                                             "(`spec: field channels.0.channel: …`)"},
                        403: {"description": "Not permitted, or the spec uses a tag above the "
                                             "caller's clearance (audited)"}})
def plan(session: SessionDep, principal: PrincipalDep, body: PlanRequest) -> dict[str, Any]:
    """Plan the campaign a YAML spec describes, as `portrait campaign plan SPEC --json`:
    the funnel (audience, exclusions by reason, eligible, treatment, control, cost by
    channel), balance between the arms and compliance findings. The plan is stored as a
    *planned* campaign, launched with `POST /api/campaigns/{id}/launch`. Send the spec's
    text as JSON: `{"spec": "<yaml>"}`."""
    return campaign_upload.plan(session, principal, body.spec)


@router.get("/{campaign_id}", summary="One campaign: record, funnel and evaluation")
def dashboard(session: SessionDep, principal: PrincipalDep, campaign_id: CampaignId,
              refresh: bool = False) -> dict[str, Any]:
    return guarded.campaign_dashboard(session, principal, campaign_id, refresh=refresh)


@router.post("/{campaign_id}/launch", summary="Launch a planned campaign (audited)")
def launch(session: SessionDep, principal: PrincipalDep, campaign_id: CampaignId) -> dict[str, Any]:
    return secured.campaign_launch(session, principal, campaign_id)
