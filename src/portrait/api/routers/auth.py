"""Login (OAuth2 password flow) and who-am-I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from portrait.api.deps import PrincipalDep, SessionDep
from portrait.services import access

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/token", summary="Log in: user name and password → bearer token")
def token(session: SessionDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, Any]:
    return access.login(session, form.username, form.password).as_dict()


@router.get("/me", summary="The authenticated principal and what their role may do")
def me(session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return access.whoami(session, principal)
