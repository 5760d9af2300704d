"""The FastAPI application, built by :func:`create_app` (never at import time).

The app opens one :class:`~portrait.services.access.Session` on the workspace when it
starts and closes it when it stops. Routers are thin: they parse the request, call one
service function and return its JSON; permissions, masking and audit happen in the
services. Server-rendered pages, when the ``portrait.web`` package exists, are added by
its ``mount(app)`` function on the same app (and the same session).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from portrait import __version__
from portrait.api import errors
from portrait.api.fastpath import ProfileFastPath
from portrait.api.routers import audit, auth, customers, health, tags, users
from portrait.errors import ConfigError
from portrait.services import access, profile360


@dataclass
class Settings:
    """How to serve.

    Attributes:
        workspace: Workspace folder (``None``: ``$PORTRAIT_HOME`` or ./portrait-workspace).
        token_ttl: Lifetime of access tokens issued at login.
        extra_routers: Optional routers of other resources (audiences, segments, …),
            mounted when their services exist (see :mod:`portrait.api.routers.optional`).
        warm: Load what profiles read into memory at start-up (the latest snapshot's
            rows, each customer's record, holdings, latest activity and consents), so
            profile lookups are keyed in-memory reads from the first request on.
        audit_flush_ms: Routine reads (profile views, searches) are audited by a
            background writer that commits every this many milliseconds, instead of
            one commit per request; 0 commits each entry before answering. ``None``:
            the workspace's ``[serve] audit_flush_ms``, else
            :data:`DEFAULT_AUDIT_FLUSH_MS`. Refusals, exports, launches and every
            change are always committed before the answer.
        lean_profiles: Answer in-memory profile lookups without FastAPI's request
            machinery (:mod:`portrait.api.fastpath`); same answers, less CPU per request.
    """

    workspace: Path | None = None
    token_ttl: dt.timedelta = field(default_factory=lambda: dt.timedelta(hours=8))
    extra_routers: bool = True
    warm: bool = True
    audit_flush_ms: int | None = None
    lean_profiles: bool = True


DEFAULT_AUDIT_FLUSH_MS = 20


def audit_flush_ms(cfg: Settings, session: access.Session) -> int:
    """The background audit writer's interval for this server (0: none)."""
    if cfg.audit_flush_ms is not None:
        value: object = cfg.audit_flush_ms
    else:
        value = session.ws.config.get("serve", {}).get("audit_flush_ms", DEFAULT_AUDIT_FLUSH_MS)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
        raise ConfigError(f"[serve] audit_flush_ms must be a whole number of milliseconds "
                          f"from 0 to 10000, not {value!r}.",
                          hint="Set it in portrait.toml, e.g. audit_flush_ms = 20.")
    return value


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for one workspace."""
    cfg = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.session = session = access.open_session(cfg.workspace, token_ttl=cfg.token_ttl)
        flush = audit_flush_ms(cfg, session)
        if flush:
            session.defer_audit(flush / 1000)
        if cfg.warm:
            profile360.warm(session)
            # what was loaded lives as long as the server: keep it out of the cyclic
            # collector's full passes (shorter pauses under load)
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            app.state.session.close()

    # The interactive docs pages load their scripts from a CDN; everything here is served
    # locally, so only the OpenAPI document itself (/openapi.json) is published.
    app = FastAPI(title="Portrait", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Customer portraits for retail banks: profiles, tags, audiences, "
                              "segments, models and campaigns, under role-based access with "
                              "masking and an audit log.")
    app.state.settings = cfg
    errors.install(app)
    if cfg.lean_profiles:
        app.add_middleware(ProfileFastPath)
    for module in (health, auth, customers, tags, audit, users):
        app.include_router(module.router)
    if cfg.extra_routers:
        from portrait.api.routers import optional

        optional.include(app)
    return app
