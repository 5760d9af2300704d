"""Segments: cards, distinguishing tags (within clearance) and opportunities."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from portrait.api.deps import PrincipalDep, SessionDep
from portrait.services import guarded

router = APIRouter(prefix="/api/segments", tags=["segments"])


@router.get("", summary="The segments of the latest snapshot")
def cards(session: SessionDep, principal: PrincipalDep,
          lang: Literal["en", "zh"] = "en") -> dict[str, Any]:
    return guarded.segment_cards(session, principal, lang=lang)
