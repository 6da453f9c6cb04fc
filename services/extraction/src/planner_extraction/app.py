"""Composition root of the extraction service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from planner_extraction.extractor import build_extractor
from planner_extraction.handlers import ExtractionHandlers
from planner_extraction.settings import ExtractionSettings
from planner_shared.bus.router import EventRouter
from planner_shared.runtime import RouterSetup, Runtime, create_service_app
from planner_shared.settings import OpenAISettings

SERVICE_NAME = "extraction"


def extraction_setup(openai: OpenAISettings) -> RouterSetup:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[EventRouter]:
        extractor = build_extractor(openai)
        reader = f"language model {openai.model}" if openai.configured else "offline parser"
        try:
            yield ExtractionHandlers(extractor, reader).router()
        finally:
            await extractor.aclose()

    return setup


def create_app(
    settings: ExtractionSettings | None = None, openai: OpenAISettings | None = None
) -> FastAPI:
    return create_service_app(
        SERVICE_NAME,
        settings or ExtractionSettings(),
        extraction_setup(openai or OpenAISettings()),
        description="Season brief to validated SeasonParameters.",
    )
