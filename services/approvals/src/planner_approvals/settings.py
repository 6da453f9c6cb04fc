"""Settings of the approvals service: the shared ones plus its own, prefixed PLANNER_APPROVALS_."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from planner_shared.settings import ServiceSettings


class ApprovalsSettings(ServiceSettings):
    port: int = Field(
        default=8004,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("PLANNER_APPROVALS_PORT"),
    )
