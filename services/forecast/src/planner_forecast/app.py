"""Composition root of the forecast service."""

from __future__ import annotations

from fastapi import FastAPI

from planner_forecast.settings import ForecastSettings
from planner_shared.runtime import create_service_app

SERVICE_NAME = "forecast"


def create_app(settings: ForecastSettings | None = None) -> FastAPI:
    return create_service_app(
        SERVICE_NAME,
        settings or ForecastSettings(),
        description="Ensemble forecasts, store clusters, allocation, variance and re-forecast.",
    )
