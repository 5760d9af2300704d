"""The audit log page (compliance): entries newest first, filters, pages, and verifying
the hash chain with the first broken entry shown.

One service call per request (:func:`portrait.services.audit_browse.entries`, and
:func:`~portrait.services.audit_browse.verify_chain` when the verify button was
pressed); both check ``audit.view``, so any other role gets the 403 page and the
refusal is in the log it may not read. The filters are a GET form, so a filtered page
is a link that can be shared or bookmarked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portrait.services import audit_browse
from portrait.services.access import Principal
from portrait.web import error_text, render
from portrait.web.auth import guarded, session_of

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
OUTCOMES = ("allowed", "denied", "failed")
FILTERS = ("actor", "action", "outcome", "since", "until")


def _day(text: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` day (None when empty); ValueError otherwise."""
    return dt.date.fromisoformat(text) if text else None


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else 1


def _link(filters: dict[str, str], **extra: Any) -> str:
    params = {k: v for k, v in filters.items() if v}
    params.update({k: str(v) for k, v in extra.items() if v})
    return "/audit" + (f"?{urlencode(params)}" if params else "")


def details_text(details: dict[str, Any]) -> list[tuple[str, str]]:
    """An entry's details as (key, value) pairs, ``via`` (how the actor signed in) first."""
    keys = sorted(details, key=lambda k: (k != "via", k))
    return [(k, v if isinstance(v, str) else str(v)) for k, v in ((k, details[k]) for k in keys)]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    query = request.query_params
    filters = {k: query.get(k, "").strip()[:200] for k in FILTERS}
    page = _page_number(query.get("page", ""))
    wants_verify = query.get("verify") == "1"

    def body(principal: Principal) -> Response:
        tr = render.translator(request)
        session = session_of(request)
        bad_dates: list[str] = []
        days: dict[str, dt.date | None] = {}
        for name in ("since", "until"):
            try:
                days[name] = _day(filters[name])
            except ValueError:
                days[name], bad_dates = None, [*bad_dates, filters[name]]
        outcome = filters["outcome"] if filters["outcome"] in OUTCOMES else None
        found = audit_browse.entries(session, actor=principal, limit=PAGE_SIZE,
                                     offset=(page - 1) * PAGE_SIZE, who=filters["actor"] or None,
                                     action=filters["action"] or None, outcome=outcome,
                                     since=days["since"], until=days["until"], choices=True)
        verification = None
        if wants_verify:
            verification = audit_browse.verify_chain(session, actor=principal)
            if verification["problem"]:
                verification["problem_shown"] = error_text.rendered(tr, verification["problem"])
        pages = int(found["pages"])
        return render.page(request, "audit.html", {
            "found": found, "filters": filters, "outcomes": OUTCOMES, "page": page,
            "pages": pages, "bad_dates": bad_dates, "verification": verification,
            "details": details_text,
            "previous": _link(filters, page=page - 1) if page > 1 else None,
            "next": _link(filters, page=page + 1) if page < pages else None,
            "clear": "/audit",
        }, nav="audit", principal=principal)

    return guarded(request, "audit", body)
