"""Customer pages: search, and the customer-360 persona page.

Both call one service function (:mod:`portrait.services.profile360`), which checks the
permission, masks what the principal may not see and writes the audit entry.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portrait.services import profile360
from portrait.services.access import Principal
from portrait.web import error_text, persona, render
from portrait.web.auth import guarded, session_of
from portrait.web.i18n import Translator

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20


@router.get("/customers", response_class=HTMLResponse)
def search(request: Request, q: str = "", page: int = 1) -> Response:
    def body(principal: Principal) -> Response:
        query = q.strip()
        found = None
        if query:
            offset = max(page - 1, 0) * PAGE_SIZE
            found = profile360.search(session_of(request), principal, query, limit=PAGE_SIZE,
                                      offset=offset)
        return render.page(request, "customers.html",
                           {"q": query, "found": found, "page": max(page, 1), "size": PAGE_SIZE},
                           nav="customers", principal=principal)
    return guarded(request, "customers", body)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def profile(request: Request, customer_id: str) -> Response:
    def body(principal: Principal) -> Response:
        lang = render.language(request)
        data = profile360.customer_profile(session_of(request), principal, customer_id, lang=lang)
        tr = Translator(lang)
        shelf = persona.shelf(data)
        if shelf.get("detail"):
            shelf["detail"] = error_text.message(tr, str(shelf["detail"])) or shelf["detail"]
        return render.page(request, "persona.html", {
            "profile": data, "card": persona.card(data), "families": persona.families(data),
            "timeline": persona.timeline(data), "shelf": shelf,
            "consents": persona.consents(data), "fmt": tr.value,
        }, nav="customers", principal=principal)
    return guarded(request, "customers", body)
