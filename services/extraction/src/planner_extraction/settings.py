"""Settings of the extraction service: the shared ones plus its own (PLANNER_EXTRACTION_*)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from planner_shared.settings import ServiceSettings


class ExtractionSettings(ServiceSettings):
    port: int = Field(
        default=8001,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("PLANNER_EXTRACTION_PORT"),
    )
