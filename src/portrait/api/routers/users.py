"""User administration (admin)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from portrait.api.deps import PageDep, PrincipalDep, SessionDep
from portrait.services import users

router = APIRouter(prefix="/api/users", tags=["users"])
UserName = Annotated[str, Path(min_length=1, max_length=64)]
#: The roles of :mod:`portrait.privacy.roles` (the API sits above privacy; a test keeps
#: the two lists equal).
RoleName = Literal["admin", "analyst", "marketer", "relationship_manager", "compliance"]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    role: RoleName
    password: str = Field(min_length=8, max_length=200)
    rm_id: str | None = Field(default=None, max_length=64)


@router.get("", summary="Users, one page")
def list_users(session: SessionDep, principal: PrincipalDep, page: PageDep) -> dict[str, Any]:
    return users.list_users(session, actor=principal, limit=page.limit, offset=page.offset)


@router.post("", status_code=201, summary="Create a user")
def add_user(session: SessionDep, principal: PrincipalDep, body: NewUser) -> dict[str, Any]:
    return users.add_user(session, body.username, body.role, body.password,
                          rm_id=body.rm_id, actor=principal)


@router.post("/{username}/disable", summary="Disable a user (tokens and keys stop working)")
def disable(session: SessionDep, principal: PrincipalDep, username: UserName) -> dict[str, Any]:
    return users.disable_user(session, username, actor=principal)


@router.post("/{username}/apikeys", status_code=201, summary="Issue an API key (shown once)")
def api_key(session: SessionDep, principal: PrincipalDep, username: UserName) -> dict[str, Any]:
    return users.create_api_key(session, username, actor=principal)
