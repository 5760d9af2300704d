"""Models: the registry, each model's evaluation and its fairness audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from portrait.api.deps import PageDep, PrincipalDep, SessionDep
from portrait.services import model_reports, secured

router = APIRouter(prefix="/api/models", tags=["models"])
ModelName = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("", summary="Registered models with headline figures")
def list_models(session: SessionDep, principal: PrincipalDep, page: PageDep) -> dict[str, Any]:
    found = secured.model_list(session, principal)
    return {"items": found[page.offset: page.offset + page.limit], "total": len(found),
            "limit": page.limit, "offset": page.offset}


@router.get("/{name}", summary="One model: evaluation, features, fairness")
def show(session: SessionDep, principal: PrincipalDep, name: ModelName) -> dict[str, Any]:
    return secured.model_show(session, principal, name)


@router.get("/{name}/evaluation", summary="Metrics beside baselines, reliability, fairness")
def evaluation(session: SessionDep, principal: PrincipalDep, name: ModelName) -> dict[str, Any]:
    """The evaluation report `portrait models evaluate NAME --json` prints, from the
    registry: test metrics beside each baseline, the reliability table
    (`metrics.reliability`), the fairness audit and the top features. Figures that are
    not finite are `null`."""
    return model_reports.evaluation(session, principal, name)


@router.get("/{name}/fairness", summary="Fairness audit by gender and generation")
def fairness(session: SessionDep, principal: PrincipalDep, name: ModelName) -> dict[str, Any]:
    """The fairness audit `portrait models fairness NAME --json` prints: selection rate
    and true-positive rate in the top share by group, and the groups flagged below 0.8."""
    return model_reports.fairness(session, principal, name)
