"""The audit log (compliance): browse and verify."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from portrait.api.deps import PageDep, PrincipalDep, SessionDep
from portrait.services import audit

router = APIRouter(prefix="/api/audit", tags=["audit"])
Filter = Annotated[str | None, Query(max_length=200)]


@router.get("", summary="Audit entries, newest first")
def entries(session: SessionDep, principal: PrincipalDep, page: PageDep, actor: Filter = None,
            action: Filter = None, target: Filter = None,
            outcome: Literal["allowed", "denied", "failed"] | None = None) -> dict[str, Any]:
    return audit.list_entries(session, actor=principal, limit=page.limit, offset=page.offset,
                              who=actor, action=action, subject=target, outcome=outcome)


@router.get("/verify", summary="Recompute the hash chain")
def verify(session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return audit.verify(session, actor=principal).as_dict()
