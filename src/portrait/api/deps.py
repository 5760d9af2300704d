"""Request dependencies: the workspace session, the authenticated principal, a page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from portrait.services import access
from portrait.services.access import Principal, Session

T = TypeVar("T")
TOKEN_URL = "/api/auth/token"
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


async def get_session(request: Request) -> Session:
    session: Session = request.app.state.session
    return session


async def get_principal(session: Annotated[Session, Depends(get_session)],
                        token: Annotated[str | None, Depends(_bearer)],
                        key: Annotated[str | None, Depends(_api_key)]) -> Principal:
    # A token is checked by its signature and a user the session keeps (looked up again
    # only after users change): cheap enough for the event loop. An API key is looked
    # up in the warehouse each time: a worker thread.
    if token and not key:
        return access.authenticate(session, bearer=token)
    return await run_in_threadpool(access.authenticate, session, bearer=token, api_key=key)


async def call(session: Session, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service call: on the event loop when the session serves profiles from memory
    (the call is then CPU-bound: a worker thread would only add a hand-over and contend
    for the interpreter lock), else in a worker thread (it reads the warehouse)."""
    if session.customer_rows() is not None:
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


async def get_page(
        limit: Annotated[int, Query(ge=1, le=500, description="Items per page.")] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
) -> Page:
    return Page(limit, offset)


SessionDep = Annotated[Session, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
PageDep = Annotated[Page, Depends(get_page)]
