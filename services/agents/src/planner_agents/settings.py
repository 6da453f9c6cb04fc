"""Settings of the agents service: the shared ones plus its own, prefixed PLANNER_AGENTS_."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from planner_shared.settings import ServiceSettings


class AgentsSettings(ServiceSettings):
    port: int = Field(
        default=8003, ge=1, le=65535, validation_alias=AliasChoices("PLANNER_AGENTS_PORT", "port")
    )
