"""Settings of the forecast service: the shared ones plus its own, prefixed PLANNER_FORECAST_."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from planner_shared.settings import ServiceSettings


class ForecastSettings(ServiceSettings):
    port: int = Field(
        default=8002, ge=1, le=65535, validation_alias=AliasChoices("PLANNER_FORECAST_PORT", "port")
    )
