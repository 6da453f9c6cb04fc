"""Composition root of the approvals service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from planner_approvals.handlers import build_router
from planner_approvals.settings import ApprovalsSettings
from planner_shared.bus.router import EventRouter
from planner_shared.runtime import Runtime, create_service_app

SERVICE_NAME = "approvals"


@asynccontextmanager
async def setup(runtime: Runtime) -> AsyncIterator[EventRouter]:
    yield build_router()


def create_app(settings: ApprovalsSettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE_NAME,
        settings or ApprovalsSettings(),
        setup,
        description="Manufacturing and markdown approvals with their audit trail.",
    )
