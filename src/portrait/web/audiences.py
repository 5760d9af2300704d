"""Audience builder: an expression, its live count, saving it, and the saved audiences.

The page works without JavaScript (the form submits and the server counts); with it,
``static/js/audience.js`` counts as the user types through ``POST /ui/audiences/count``,
a JSON endpoint that authenticates with the same session cookie as the pages.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from portrait.errors import AccessDeniedError, PortraitError, UsageError
from portrait.services import guarded as guarded_service
from portrait.services import tag_catalog
from portrait.services.access import Principal
from portrait.web import error_text, render
from portrait.web.auth import guarded, session_of, signed_in

router = APIRouter(include_in_schema=False)
MAX_EXPRESSION = 4000


def _error(request: Request, exc: PortraitError) -> dict[str, Any]:
    """An error as the builder shows it: message (in the page's language, with the
    service's English as ``detail`` when it has no translation), position, the caret
    excerpt and the hint."""
    tr = render.translator(request)
    lines = exc.message.splitlines()
    excerpt = "\n".join(lines[1:]) if getattr(exc, "line", None) else ""
    shown = error_text.shown(tr, PortraitError(lines[0], hint=exc.hint), kind=type(exc).__name__)
    return {"message": shown.message, "detail": shown.detail, "hint": shown.hint,
            "line": getattr(exc, "line", None), "column": getattr(exc, "column", None),
            "excerpt": excerpt, "kind": type(exc).__name__}


def _visible_tags(request: Request, principal: Principal) -> list[dict[str, Any]]:
    data = tag_catalog.catalog(session_of(request), principal, lang=render.language(request))
    return [t for t in data["tags"] if t["visible"] and not t["uncovered"]]


def _page(request: Request, principal: Principal, expr: str, *, saved_message: str | None = None,
          status: int = 200) -> Response:
    session = session_of(request)
    result = error = None
    if expr.strip():
        try:
            result = guarded_service.audience_count(session, principal, expr[:MAX_EXPRESSION])
        except AccessDeniedError as exc:
            error = _error(request, exc)
        except UsageError as exc:
            error = _error(request, exc)
    can_save = "audiences.save" in getattr(request.state, "permissions", ())
    return render.page(request, "audiences.html", {
        "expr": expr, "result": result, "error": error, "can_save": can_save,
        "saved": guarded_service.audience_list(session, principal),
        "tags": _visible_tags(request, principal), "saved_message": saved_message,
    }, nav="audiences", principal=principal, status=status)


@router.get("/audiences", response_class=HTMLResponse)
def audiences(request: Request, expr: str = "") -> Response:
    return guarded(request, "audiences", lambda who: _page(request, who, expr))


@router.post("/audiences/save", response_class=HTMLResponse)
def save(request: Request, name: Annotated[str, Form(max_length=64)],
         expr: Annotated[str, Form(max_length=MAX_EXPRESSION)]) -> Response:
    def body(principal: Principal) -> Response:
        try:
            guarded_service.audience_save(session_of(request), principal, name, expr)
        except AccessDeniedError:
            raise
        except UsageError as exc:
            shown = error_text.shown(render.translator(request),
                                     PortraitError(exc.message.splitlines()[0]),
                                     kind=type(exc).__name__)
            message = shown.message if shown.detail is None else f"{shown.message} {shown.detail}"
            return _page(request, principal, expr, saved_message=message, status=400)
        tr = render.translator(request)
        return _page(request, principal, expr, saved_message=tr("audiences.saved_ok", name=name))
    return guarded(request, "audiences", body)


@router.post("/ui/audiences/count")
def count(request: Request,
          expression: Annotated[str, Body(embed=True, max_length=MAX_EXPRESSION)]) -> Response:
    """The live count: ``{"count", "as_of", "ms"}`` or an error with its position."""
    principal = signed_in(request)
    if principal is None:
        return JSONResponse({"message": "Not signed in.", "kind": "AuthenticationError"},
                            status_code=401)
    try:
        result = guarded_service.audience_count(session_of(request), principal, expression)
    except AccessDeniedError as exc:
        return JSONResponse(_error(request, exc), status_code=403)
    except UsageError as exc:
        return JSONResponse(_error(request, exc), status_code=400)
    return JSONResponse({"count": result["count"], "as_of": result["as_of"], "ms": result["ms"]},
                        headers={"Cache-Control": "no-store"})
