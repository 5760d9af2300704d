"""Portrait errors → HTTP statuses, at the edge.

The body is the same JSON the CLI prints with ``--json``:
``{"error": message, "hint": hint, "kind": class name}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from portrait.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConfigError,
    DataRejectedError,
    DefinitionError,
    NotFoundError,
    PortraitError,
    UsageError,
)

log = logging.getLogger("portrait.api")

#: Most specific class first: the first match decides the status.
STATUSES: tuple[tuple[type[PortraitError], int], ...] = (
    (AuthenticationError, 401),
    (AccessDeniedError, 403),
    (NotFoundError, 404),
    (ConfigError, 500),
    (DefinitionError, 422),
    (UsageError, 400),
    (DataRejectedError, 422),
)


def status_for(error: PortraitError) -> int:
    for cls, status in STATUSES:
        if isinstance(error, cls):
            return status
    return 500


def _body(error: PortraitError) -> dict[str, str | None]:
    return {"error": error.message, "hint": error.hint, "kind": type(error).__name__}


async def portrait_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PortraitError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(_body(exc), status_code=status, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse({"error": f"unexpected error: {type(exc).__name__}", "hint": None,
                         "kind": "UnexpectedError"}, status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(PortraitError, portrait_error)
    app.add_exception_handler(Exception, _unexpected)
