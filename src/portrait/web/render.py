"""Rendering pages: the Jinja2 environment, the per-request page context, error pages.

Templates live in ``templates/`` and extend ``base.html``. Every page gets the same
context: ``t`` (the translator of the request's language), ``lang``, ``user`` (the
signed-in principal, or None), ``nav`` (which menu item is current) and ``path`` (for
the language switch). Autoescaping is on for every template.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from portrait.errors import PortraitError
from portrait.services.access import Principal
from portrait.web import error_text, i18n

TEMPLATES = Path(__file__).parent / "templates"
#: Menu items: (key, path, the permission a role needs to see the item).
NAV: tuple[tuple[str, str, str], ...] = (
    ("customers", "/customers", "customers.search"),
    ("tags", "/tags", "tags.view"),
    ("audiences", "/audiences", "audiences.count"),
    ("segments", "/segments", "segments.view"),
    ("campaigns", "/campaigns", "campaigns.view"),
    ("audit", "/audit", "audit.view"),
)


#: Every page: scripts and styles only from this server (charts included), no framing.
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _tojson(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block; ``<`` escaped so it cannot close it."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson_safe"] = _tojson
    env.filters["pct"] = lambda v, d=1: "—" if v is None else f"{float(v) * 100:.{d}f}%"
    env.filters["num"] = lambda v, d=0: "—" if v is None else f"{float(v):,.{d}f}"
    return env


ENV = _environment()


def language(request: Request) -> str:
    return i18n.pick(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE),
                     request.headers.get("accept-language"))


def translator(request: Request) -> i18n.Translator:
    return i18n.Translator(language(request))


def _switch_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = lang
    return f"{request.url.path}?{urlencode(params)}"


def page(request: Request, template: str, context: dict[str, Any], *, nav: str = "",
         principal: Principal | None = None, status: int = 200) -> HTMLResponse:
    """Render ``template`` for this request, remembering a language chosen by query."""
    lang = language(request)
    allowed: set[str] = set(getattr(request.state, "permissions", ()))
    menu = [{"key": k, "href": href, "current": k == nav} for k, href, need in NAV if need in allowed]
    html = ENV.get_template(template).render(
        t=i18n.Translator(lang), lang=lang, user=principal, menu=menu, nav=nav,
        switch={code: _switch_url(request, code) for code in i18n.LANGUAGES}, **context)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    response.headers.update(HEADERS)
    return response


def error_page(request: Request, status: int, title_key: str, error: PortraitError, *,
               principal: Principal | None = None) -> HTMLResponse:
    """The page for a refusal (403), a missing thing (404) or a bad request (400): the
    service's message in the page's language (:mod:`portrait.web.error_text`)."""
    shown = error_text.shown(translator(request), error)
    return page(request, "error.html", {"status": status, "title_key": title_key,
                                        "message": shown.message, "detail": shown.detail,
                                        "hint": shown.hint}, principal=principal, status=status)
