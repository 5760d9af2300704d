"""A lean path for the busiest request: one customer's profile, read from memory.

``GET /api/customers/{customer_id}?recommendations=false`` with a bearer token is what a
bank's apps call most, and when the server holds the profiles in memory the service call
itself takes about 1 ms. FastAPI's request machinery around it (routing, six dependencies,
parameter validation, response validation) then costs more than half as much again, and
on a busy server that overhead is what decides the tail latency.

:class:`ProfileFastPath` is a plain ASGI middleware that answers exactly those requests
itself: the same authentication (:func:`portrait.services.access.authenticate`), the same
service call (:func:`portrait.services.profile360.customer_profile`, which checks the
role, masks and audits), the same JSON (pydantic's serializer, as FastAPI uses for the
route), the same error bodies (:mod:`portrait.api.errors`). Every other request, and any
profile request with something unusual about it (an API key, no or another credential,
recommendations asked for, an unknown or repeated query parameter, a value the route
would reject, a server that reads the warehouse instead of memory), goes on to the app
unchanged, so the route itself (its validation errors, its OpenAPI entry) still stands
behind the lean path. ``tests/api/test_fastpath.py`` checks the two give the same answers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from portrait.api import errors
from portrait.api.routers import customers
from portrait.errors import PortraitError
from portrait.services import access, profile360

PREFIX = f"{customers.router.prefix}/"
#: What pydantic reads as ``False`` for a boolean query parameter (case-insensitive).
FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
LANGS = frozenset({"en", "zh"})
_JSON = TypeAdapter(dict[str, Any])
_HEADERS = b"content-type", b"application/json"


def _bearer(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The bearer token, if the request carries one and no API key; ``None`` for anything
    the app's own dependencies should judge (as :class:`fastapi.security.OAuth2PasswordBearer`
    and ``APIKeyHeader`` read the first header of each name)."""
    authorization = api_key = None
    for name, value in headers:
        if name == b"authorization" and authorization is None:
            authorization = value
        elif name == b"x-api-key" and api_key is None:
            api_key = value
    if authorization is None or api_key:
        return None
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _lang(query: bytes) -> str | None:
    """The language asked for, when the query string asks for no recommendations and
    nothing else the lean path does not handle; ``None`` otherwise."""
    lang, declined = "en", False
    seen: set[str] = set()
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key in seen:
            return None
        seen.add(key)
        if key == "recommendations" and value.lower() in FALSE:
            declined = True
        elif key == "lang" and value in LANGS:
            lang = value
        else:
            return None
    return lang if declined else None


class ProfileFastPath:
    """ASGI middleware: answers in-memory profile lookups, passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
            return await self.app(scope, receive, send)
        path: str = scope["path"]
        customer_id = path[len(PREFIX):]
        if (not path.startswith(PREFIX) or not customer_id or len(customer_id) > customers.MAX_ID
                or "/" in customer_id):
            return await self.app(scope, receive, send)
        session = getattr(scope["app"].state, "session", None)
        token = _bearer(scope["headers"])
        lang = _lang(scope["query_string"])
        if token is None or lang is None or session is None or session.customer_rows() is None:
            return await self.app(scope, receive, send)
        try:
            principal = access.authenticate(session, bearer=token)
            profile = profile360.customer_profile(session, principal, customer_id, lang=lang,
                                                  recommendations=False)
        except PortraitError as exc:
            response = await errors.portrait_error(Request(scope, receive), exc)
            return await response(scope, receive, send)
        body = _JSON.dump_json(profile)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()), _HEADERS]})
        await send({"type": "http.response.body", "body": body})
