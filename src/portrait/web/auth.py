"""Signing in through the browser: the login form, the session cookie, and the page guard.

The login form calls the same service as the API's token endpoint
(:func:`portrait.services.access.login`); the signed token it returns is kept in an
``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` when served over HTTPS), so page
scripts never see it and other sites cannot send it. Every page request checks the
token again with :func:`portrait.services.access.authenticate`, so a disabled user is
out at once.

:func:`guarded` wraps a page: it redirects to the login form when nobody is signed
in, and turns the service layer's errors into pages — a refusal into a clear "not
permitted" page (403; the service has already audited it), a missing thing into 404,
a bad request into 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portrait.errors import AccessDeniedError, AuthenticationError, NotFoundError, UsageError
from portrait.services import access
from portrait.services.access import Principal, Session
from portrait.web import render
from portrait.web.i18n import LANGUAGES

COOKIE = "portrait_session"
router = APIRouter(include_in_schema=False)


def session_of(request: Request) -> Session:
    """The workspace session the app was created with (see :mod:`portrait.web.app`)."""
    session: Session = request.app.state.session
    return session


def signed_in(request: Request) -> Principal | None:
    """The principal behind the session cookie, or None (no cookie, expired, user disabled)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    session = session_of(request)
    try:
        principal = access.authenticate(session, bearer=token)
    except AuthenticationError:
        return None
    principal = Principal(principal.name, principal.role, principal.rm_id, via="web")
    request.state.permissions = access.whoami(session, principal)["permissions"]
    return principal


def _local(target: str | None) -> str:
    """Only same-site paths may follow a login (no open redirect to another host)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def guarded(request: Request, nav: str, body: Callable[[Principal], Response]) -> Response:
    """Run a page for the signed-in principal, or send the visitor to the login form."""
    principal = signed_in(request)
    if principal is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        lang = request.query_params.get("lang")
        keep = f"&lang={lang}" if lang in LANGUAGES else ""
        return RedirectResponse(f"/login?next={quote(wanted)}{keep}", status_code=303)
    try:
        return body(principal)
    except AccessDeniedError as exc:
        return render.error_page(request, 403, "error.forbidden", exc, principal=principal)
    except NotFoundError as exc:
        return render.error_page(request, 404, "error.not_found", exc, principal=principal)
    except UsageError as exc:
        return render.error_page(request, 400, "error.bad_request", exc, principal=principal)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return render.page(request, "login.html", {"next": _local(next), "error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/") -> Response:
    try:
        grant = access.login(session_of(request), username, password)
    except AuthenticationError:
        return render.page(request, "login.html",
                           {"next": _local(next), "error": "login.failed", "username": username},
                           status=401)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(COOKIE, grant.access_token, max_age=grant.expires_in, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/customers" if signed_in(request) else "/login", status_code=303)
