"""The tag catalog."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path

from portrait.api.deps import PageDep, PrincipalDep, SessionDep
from portrait.services import catalog

router = APIRouter(prefix="/api/tags", tags=["tags"])
Family = Literal["basic", "economic", "preference", "session", "lifecycle", "model"]
Sensitivity = Literal["public", "internal", "confidential", "restricted"]


@router.get("", summary="The tag catalog, one page")
def list_tags(session: SessionDep, principal: PrincipalDep, page: PageDep,
              family: Family | None = None, sensitivity: Sensitivity | None = None) -> dict[str, Any]:
    return catalog.list_tags(session, principal, family=family, sensitivity=sensitivity,
                             limit=page.limit, offset=page.offset)


@router.get("/{name}", summary="One tag's definition")
def show_tag(session: SessionDep, principal: PrincipalDep,
             name: Annotated[str, Path(min_length=1, max_length=100)]) -> dict[str, Any]:
    return catalog.show_tag(session, principal, name)
