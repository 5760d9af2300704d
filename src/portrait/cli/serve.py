"""``portrait serve``: the API (and web pages) over HTTP with uvicorn."""

from __future__ import annotations

import importlib.util
import os
from typing import Annotated

import typer

from portrait.cli import render
from portrait.cli.options import JsonOpt, WorkspaceOpt
from portrait.services import workspace

#: App factories, named rather than imported (the CLI and the API are sibling shells):
#: the API with the web pages when the web layer is installed, else the API alone.
WEB_FACTORY = "portrait.web.app:create_app"
API_FACTORY = "portrait.api.app:create_app"


def app_factory() -> str:
    return WEB_FACTORY if importlib.util.find_spec("portrait.web.app") else API_FACTORY


def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Serve the API (its OpenAPI schema at /openapi.json) and the web pages for the workspace."""
    import uvicorn

    ws = render.run(lambda: workspace.open_(workspace_path), as_json=as_json)
    os.environ["PORTRAIT_HOME"] = str(ws.root.resolve())
    url = f"http://{host}:{port}"
    if as_json:
        render.emit_json({"workspace": str(ws.root), "url": url, "openapi": f"{url}/openapi.json"})
    else:
        render.console.print(f"Serving {ws.root} on {url} (API schema: {url}/openapi.json)")
    uvicorn.run(app_factory(), factory=True, host=host, port=port, log_level="warning")
