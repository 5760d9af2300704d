"""Static assets (stylesheet, scripts, avatars, the vendored Chart.js), served locally.

A route rather than a ``StaticFiles`` mount, so the pages stay one ``APIRouter`` an
app includes. Only files under ``static/`` with a known type are served; a path that
leaves the folder is a 404.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

STATIC = (Path(__file__).parent / "static").resolve()
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".svg": "image/svg+xml", ".md": "text/plain; charset=utf-8", ".png": "image/png"}
router = APIRouter(include_in_schema=False)


def resolve(path: str) -> Path | None:
    """The file ``path`` names under ``static/``, or None (outside it, missing, unknown type)."""
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file() or target.suffix not in TYPES:
        return None
    return target


@router.get("/static/{path:path}")
def asset(path: str) -> Response:
    target = resolve(path)
    if target is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return FileResponse(target, media_type=TYPES[target.suffix],
                        headers={"Cache-Control": "public, max-age=3600"})
