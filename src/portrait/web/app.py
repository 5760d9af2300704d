"""The whole server: the API app (:func:`portrait.api.app.create_app`) plus the web pages.

The API layer may not import the web layer, so the composition happens here; `portrait
serve` and the demo server build this app.
"""

from __future__ import annotations

from fastapi import FastAPI

from portrait.api.app import Settings
from portrait.api.app import create_app as create_api
from portrait.web.router import router


def mount(app: FastAPI) -> FastAPI:
    """Add the web pages to an API app (once; a second call changes nothing)."""
    if not getattr(app.state, "web_mounted", False):
        app.include_router(router())
        app.state.web_mounted = True
    return app


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API app (:func:`portrait.api.app.create_app`, same settings) with the web pages."""
    return mount(create_api(settings))
