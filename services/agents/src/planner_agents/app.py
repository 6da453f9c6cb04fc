"""Composition root of the agents service: the orchestrator over the SDK specialists."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from planner_agents.handlers import build_router
from planner_agents.runner import build_model_provider
from planner_agents.sdk_specialists import SdkSpecialists
from planner_agents.settings import AgentsSettings
from planner_shared.bus.router import EventRouter
from planner_shared.runtime import RouterSetup, Runtime, create_service_app
from planner_shared.settings import OpenAISettings

SERVICE_NAME = "agents"


def agents_setup(settings: AgentsSettings, openai: OpenAISettings) -> RouterSetup:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[EventRouter]:
        provider = build_model_provider(openai)
        specialists = SdkSpecialists(openai, settings.agent_policy(), provider)
        try:
            yield build_router(specialists)
        finally:
            # The LLM provider holds an HTTP client; the deterministic one holds nothing.
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    return setup


def create_app(
    settings: AgentsSettings | None = None, openai: OpenAISettings | None = None
) -> FastAPI:
    settings = settings or AgentsSettings()
    return create_service_app(
        SERVICE_NAME,
        settings,
        agents_setup(settings, openai or OpenAISettings()),
        description="The orchestrator and the demand, inventory and pricing agents.",
    )
