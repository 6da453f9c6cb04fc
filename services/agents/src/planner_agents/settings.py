"""Settings of the agents service: the shared ones plus its own, prefixed PLANNER_AGENTS_."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from planner_agents.context import AgentPolicy
from planner_shared.markdown import DEFAULT_MAX_MARKDOWN_PERCENTAGE
from planner_shared.settings import ServiceSettings


class AgentsSettings(ServiceSettings):
    port: int = Field(
        default=8003, ge=1, le=65535, validation_alias=AliasChoices("PLANNER_AGENTS_PORT")
    )
    manufacturing_tolerance_percentage: float = Field(
        default=20.0,
        ge=0,
        le=100,
        description="How far an order may move from the recommendation, in percent either way.",
        validation_alias=AliasChoices("PLANNER_AGENTS_MANUFACTURING_TOLERANCE"),
    )
    max_markdown_percentage: float = Field(
        default=DEFAULT_MAX_MARKDOWN_PERCENTAGE,
        ge=0,
        le=100,
        description="The cap of the markdown rule.",
        validation_alias=AliasChoices("PLANNER_AGENTS_MAX_MARKDOWN"),
    )

    def agent_policy(self) -> AgentPolicy:
        return AgentPolicy(
            manufacturing_tolerance_percentage=self.manufacturing_tolerance_percentage,
            max_markdown_percentage=self.max_markdown_percentage,
        )
