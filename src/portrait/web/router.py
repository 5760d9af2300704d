"""All web pages as one router: login, customers, tag catalog, audiences, segments, campaigns,
the audit log."""

from __future__ import annotations

from fastapi import APIRouter

from portrait.web import assets, audiences, audit, auth, campaigns, catalog, customers, segments


def router() -> APIRouter:
    """The pages and their static assets (excluded from the OpenAPI schema)."""
    pages = APIRouter(include_in_schema=False)
    for part in (assets.router, auth.router, customers.router, catalog.router, audiences.router,
                 segments.router, campaigns.router, audit.router):
        pages.include_router(part)
    return pages
