"""The audit log (compliance): browse and verify."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from portrait.api.deps import PageDep, PrincipalDep, SessionDep
from portrait.services import audit_browse

router = APIRouter(prefix="/api/audit", tags=["audit"])
Filter = Annotated[str | None, Query(max_length=200)]
Day = Annotated[dt.date | None, Query(ge=dt.date(1900, 1, 1), le=dt.date(9999, 12, 30),
                                      description="A UTC day, YYYY-MM-DD (inclusive).")]


@router.get("", summary="Audit entries, newest first")
def entries(session: SessionDep, principal: PrincipalDep, page: PageDep, actor: Filter = None,
            action: Filter = None, target: Filter = None,
            outcome: Literal["allowed", "denied", "failed"] | None = None,
            since: Day = None, until: Day = None) -> dict[str, Any]:
    """A page of entries filtered by exact actor, action, target and outcome, and by the
    days (UTC) from `since` to `until`, both included."""
    return audit_browse.entries(session, actor=principal, limit=page.limit, offset=page.offset,
                                who=actor, action=action, subject=target, outcome=outcome,
                                since=since, until=until)


@router.get("/verify", summary="Recompute the hash chain")
def verify(session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """`ok`, the number of entries checked and, when the chain is broken, the first entry
    that fails (`first_bad_seq`, `problem`, and `entry` as it is stored now)."""
    return audit_browse.verify_chain(session, actor=principal)
