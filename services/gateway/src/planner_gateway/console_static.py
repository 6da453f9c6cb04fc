"""The built console (`console/dist`, `make console`) served at `/`, beside /api and /ws.

Files under `assets/` are served as they are (their names carry a content hash, so they may be
cached for long); any other path that is not the API's answers `index.html`, so a reload on a
console page (`/seasons/<id>`) opens the console there. Without a build, `/` says how to make
one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from planner_gateway.errors import not_found
from planner_gateway.settings import GatewaySettings

# services/gateway/src/planner_gateway/console_static.py -> the repository's console/dist
DEFAULT_DIR = Path(__file__).resolve().parents[4] / "console" / "dist"
NOT_CONSOLE = ("api/", "ws/", "docs", "redoc", "openapi.json", "health", "ready", "metrics")
NOT_BUILT = """<!doctype html><title>Season Planner</title>
<p>The console is not built. Run <code>make console</code> (or <code>make run</code>), then
reload. The API is at <a href="/docs">/docs</a>.</p>"""


def console_dir(settings: GatewaySettings) -> Path:
    return Path(settings.console_dir) if settings.console_dir else DEFAULT_DIR


def mount_console(app: FastAPI, settings: GatewaySettings) -> None:
    root = console_dir(settings)
    assets = root / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="console-assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def console(path: str) -> Response:
        if path.startswith(NOT_CONSOLE):
            raise not_found(f"/{path}")
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503)
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root.resolve()):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
