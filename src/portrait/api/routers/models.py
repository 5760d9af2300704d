"""Models: the registry and each model's evaluation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from portrait.api.deps import PageDep, PrincipalDep, SessionDep
from portrait.services import secured

router = APIRouter(prefix="/api/models", tags=["models"])


@router.get("", summary="Registered models with headline figures")
def list_models(session: SessionDep, principal: PrincipalDep, page: PageDep) -> dict[str, Any]:
    found = secured.model_list(session, principal)
    return {"items": found[page.offset: page.offset + page.limit], "total": len(found),
            "limit": page.limit, "offset": page.offset}


@router.get("/{name}", summary="One model: evaluation, features, fairness")
def show(session: SessionDep, principal: PrincipalDep,
         name: Annotated[str, Path(min_length=1, max_length=100)]) -> dict[str, Any]:
    return secured.model_show(session, principal, name)
