"""Settings of the gateway service: the shared ones plus its own, prefixed PLANNER_GATEWAY_."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from planner_shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    port: int = Field(
        default=8000, ge=1, le=65535, validation_alias=AliasChoices("PLANNER_GATEWAY_PORT", "port")
    )
