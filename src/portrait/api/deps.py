"""Request dependencies: the workspace session, the authenticated principal, a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from portrait.services import access
from portrait.services.access import Principal, Session

TOKEN_URL = "/api/auth/token"
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_session(request: Request) -> Session:
    session: Session = request.app.state.session
    return session


def get_principal(session: Annotated[Session, Depends(get_session)],
                  token: Annotated[str | None, Depends(_bearer)],
                  key: Annotated[str | None, Depends(_api_key)]) -> Principal:
    return access.authenticate(session, bearer=token, api_key=key)


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def get_page(limit: Annotated[int, Query(ge=1, le=500, description="Items per page.")] = 50,
             offset: Annotated[int, Query(ge=0, le=10_000_000,
                                          description="Items to skip.")] = 0) -> Page:
    return Page(limit, offset)


SessionDep = Annotated[Session, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
PageDep = Annotated[Page, Depends(get_page)]
