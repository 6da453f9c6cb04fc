"""The upload body limit (planner_gateway.body_limit) on the v1 upload paths, which carry
a workflow id and so cannot be listed exactly.

`V1UploadLimit` (outside the other limits) gives a v1 upload the marker path `UPLOAD_MARK`,
which the upload limit counts and the gateway's request guard skips (uploads have their
own limit), keeping the real path beside it; `RestorePath`, the innermost middleware, puts
the real path back before routing.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from planner_gateway.body_limit import BodyLimit
from planner_gateway.v1.upload_formats import AGENT_FILE_TYPES

_UPLOAD = re.compile(r"/api/v1/workflows/[^/]+/(" + "|".join(AGENT_FILE_TYPES) + r")/upload")
UPLOAD_MARK = "/api/v1/.upload"
_REAL_PATH = "v1_path"


class V1UploadLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, message: str) -> None:
        self.app = app
        self._limited = BodyLimit(app, max_bytes=max_bytes, paths={UPLOAD_MARK}, message=message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _UPLOAD.fullmatch(scope["path"]):
            marked = {**scope, "path": UPLOAD_MARK, _REAL_PATH: scope["path"]}
            await self._limited(marked, receive, send)
            return
        await self.app(scope, receive, send)


class RestorePath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _REAL_PATH in scope:
            scope = {k: v for k, v in scope.items() if k != _REAL_PATH} | {
                "path": scope[_REAL_PATH]
            }
        await self.app(scope, receive, send)
