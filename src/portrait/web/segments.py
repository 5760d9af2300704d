"""Segment explorer: sizes, what distinguishes each segment, holdings and opportunities."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portrait.errors import NotFoundError
from portrait.services import guarded as guarded_service
from portrait.services.access import Principal
from portrait.web import error_text, render
from portrait.web.auth import guarded, session_of

router = APIRouter(include_in_schema=False)


@router.get("/segments", response_class=HTMLResponse)
def segments(request: Request) -> Response:
    def body(principal: Principal) -> Response:
        lang = render.language(request)
        missing: str | None = None
        try:
            data = guarded_service.segment_cards(session_of(request), principal, lang=lang)
        except NotFoundError as exc:
            data = None
            tr = render.translator(request)
            missing = error_text.hint(tr, exc.hint) or error_text.shown(tr, exc).message
        chart = None
        if data:
            cards = data["cards"]
            chart = {"labels": [f"{c['segment']} {c['name']}" for c in cards],
                     "values": [c["size"] for c in cards],
                     "label": render.translator(request)("segments.size")}
        return render.page(request, "segments.html", {"data": data, "missing": missing, "chart": chart},
                           nav="segments", principal=principal)
    return guarded(request, "segments", body)
