"""Routers over audiences, segments, models and campaigns.

Their services come from other parts of Portrait; each router is mounted only when the
service modules it calls are installed, so the API starts (without them) on a build
that lacks a layer.
"""

from __future__ import annotations

import importlib.util

from fastapi import FastAPI

#: router module → the service modules it needs.
ROUTERS: dict[str, tuple[str, ...]] = {
    "portrait.api.routers.audiences": ("portrait.services.guarded", "portrait.services.secured"),
    "portrait.api.routers.segments": ("portrait.services.guarded",),
    "portrait.api.routers.models": ("portrait.services.secured", "portrait.services.model_reports"),
    "portrait.api.routers.campaigns": ("portrait.services.guarded", "portrait.services.secured",
                                       "portrait.services.campaign_upload"),
}


def include(app: FastAPI) -> list[str]:
    """Mount the routers whose services exist; returns the names of those mounted."""
    mounted = []
    for module, needs in ROUTERS.items():
        if all(importlib.util.find_spec(n) is not None for n in needs):
            app.include_router(importlib.import_module(module).router)
            mounted.append(module.rsplit(".", 1)[1])
    return mounted
