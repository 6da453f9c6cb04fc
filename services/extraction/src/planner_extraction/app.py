"""Composition root of the extraction service."""

from __future__ import annotations

from fastapi import FastAPI

from planner_extraction.settings import ExtractionSettings
from planner_shared.runtime import create_service_app

SERVICE_NAME = "extraction"


def create_app(settings: ExtractionSettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE_NAME,
        settings or ExtractionSettings(),
        description="Season brief to validated SeasonParameters.",
    )
