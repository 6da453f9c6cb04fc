"""Composition root of the agents service."""

from __future__ import annotations

from fastapi import FastAPI

from planner_agents.settings import AgentsSettings
from planner_shared.runtime import create_service_app

SERVICE_NAME = "agents"


def create_app(settings: AgentsSettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE_NAME,
        settings or AgentsSettings(),
        description="The orchestrator and the demand, inventory and pricing agents.",
    )
