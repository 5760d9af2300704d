"""Tag catalog pages: every tag with its coverage, and one tag's definition and values."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portrait.services import tag_catalog
from portrait.services.access import Principal
from portrait.web import render
from portrait.web.auth import guarded, session_of
from portrait.web.persona import FAMILY_ORDER

router = APIRouter(include_in_schema=False)


@router.get("/tags", response_class=HTMLResponse)
def tags(request: Request, family: str = "") -> Response:
    def body(principal: Principal) -> Response:
        lang = render.language(request)
        data = tag_catalog.catalog(session_of(request), principal, lang=lang, family=family or None)
        return render.page(request, "tags.html", {"data": data, "family": family,
                                                  "families": FAMILY_ORDER},
                           nav="tags", principal=principal)
    return guarded(request, "tags", body)


@router.get("/tags/{name}", response_class=HTMLResponse)
def tag(request: Request, name: str) -> Response:
    def body(principal: Principal) -> Response:
        lang = render.language(request)
        detail = tag_catalog.tag_detail(session_of(request), principal, name, lang=lang)
        tr = render.translator(request)
        top = (detail.get("distribution") or {}).get("top") or []
        labels = [tr.value(row["value"], name) for row in top]
        return render.page(request, "tag.html", {"tag": detail, "dist_labels": labels}, nav="tags",
                           principal=principal)
    return guarded(request, "tags", body)
