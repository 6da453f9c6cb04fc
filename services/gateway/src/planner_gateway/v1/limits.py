"""The upload body limit (planner_gateway.body_limit) on the v1 upload paths, which carry
a workflow id and so cannot be listed exactly."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from planner_gateway.body_limit import BodyLimit
from planner_gateway.v1.upload_formats import AGENT_FILE_TYPES

_UPLOAD = re.compile(r"/api/v1/workflows/[^/]+/(" + "|".join(AGENT_FILE_TYPES) + r")/upload")
_MARK = "/api/v1/.upload"


class V1UploadLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, message: str) -> None:
        self.app = app
        # BodyLimit matches exact paths: it sees a marker path, and the app the real one.
        self._limited = BodyLimit(
            self._restore, max_bytes=max_bytes, paths={_MARK}, message=message
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _UPLOAD.fullmatch(scope["path"]):
            await self._limited({**scope, "path": _MARK, "v1_path": scope["path"]}, receive, send)
            return
        await self.app(scope, receive, send)

    async def _restore(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "path": scope.pop("v1_path")}, receive, send)
