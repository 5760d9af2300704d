"""Audiences: count an expression, save, list, export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from portrait.api.deps import PageDep, PrincipalDep, SessionDep
from portrait.services import guarded, secured

router = APIRouter(prefix="/api/audiences", tags=["audiences"])


class Expression(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expression: str = Field(min_length=1, max_length=5000,
                            description="Tag expression, e.g. `gender = 'F' and age > 30`")


class NewAudience(Expression):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=100, description="A saved audience")
    expression: str | None = Field(default=None, max_length=5000, description="Or an expression")
    tags: list[str] = Field(default_factory=list, max_length=200, description="Tag columns")


@router.get("", summary="Saved audiences with their sizes")
def list_audiences(session: SessionDep, principal: PrincipalDep, page: PageDep) -> dict[str, Any]:
    found = guarded.audience_list(session, principal)
    return {"items": found[page.offset: page.offset + page.limit], "total": len(found),
            "limit": page.limit, "offset": page.offset}


@router.post("/count", summary="Count the customers an expression selects")
def count(session: SessionDep, principal: PrincipalDep, body: Expression) -> dict[str, Any]:
    return guarded.audience_count(session, principal, body.expression)


@router.post("", status_code=201, summary="Save an audience")
def save(session: SessionDep, principal: PrincipalDep, body: NewAudience) -> dict[str, Any]:
    return guarded.audience_save(session, principal, body.name, body.expression)


@router.post("/export", summary="Export an audience (ids, tokens, permitted tags; no PII)")
def export(session: SessionDep, principal: PrincipalDep, page: PageDep,
           body: ExportRequest) -> dict[str, Any]:
    return secured.audience_export(session, principal, name=body.name, expression=body.expression,
                                   tags=body.tags, limit=page.limit, offset=page.offset)
