"""``GET /api/health``: is the service up, and which snapshot does it serve."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from portrait.api.deps import SessionDep
from portrait.services import health as health_service

router = APIRouter(tags=["health"])


@router.get("/api/health", summary="Service status")
def health(session: SessionDep) -> dict[str, Any]:
    return health_service.health(session)
