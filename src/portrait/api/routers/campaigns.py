"""Campaigns: list, dashboard (funnel and evaluation), launch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from portrait.api.deps import PageDep, PrincipalDep, SessionDep
from portrait.services import guarded, secured

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"])
CampaignId = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("", summary="Campaigns with their funnels")
def list_campaigns(session: SessionDep, principal: PrincipalDep, page: PageDep) -> dict[str, Any]:
    found = guarded.campaigns(session, principal)
    return {"items": found[page.offset: page.offset + page.limit], "total": len(found),
            "limit": page.limit, "offset": page.offset}


@router.get("/{campaign_id}", summary="One campaign: record, funnel and evaluation")
def dashboard(session: SessionDep, principal: PrincipalDep, campaign_id: CampaignId,
              refresh: bool = False) -> dict[str, Any]:
    return guarded.campaign_dashboard(session, principal, campaign_id, refresh=refresh)


@router.post("/{campaign_id}/launch", summary="Launch a planned campaign (audited)")
def launch(session: SessionDep, principal: PrincipalDep, campaign_id: CampaignId) -> dict[str, Any]:
    return secured.campaign_launch(session, principal, campaign_id)
