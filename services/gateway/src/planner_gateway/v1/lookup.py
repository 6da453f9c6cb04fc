"""What most v1 endpoints need first: the v1 workflow an id names, and its domain workflow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_gateway.errors import ApiError
from planner_gateway.v1 import ids, units
from planner_shared.db.engine import transaction
from planner_shared.db.frontend_v1 import V1Workflow
from planner_shared.db.models import Workflow
from planner_shared.parameters import SeasonParameters
from planner_shared.workflow import WorkflowState


@dataclass(frozen=True)
class Season:
    """A v1 workflow with its domain workflow (None while it is pending)."""

    v1: V1Workflow
    workflow: Workflow | None

    @property
    def v1_id(self) -> str:
        return self.v1.v1_id

    @property
    def owner(self) -> str:
        """Who started the season: its planner, who alone writes to it (planner_gateway.access)."""
        return self.workflow.created_by if self.workflow else self.v1.created_by

    @property
    def state(self) -> WorkflowState | None:
        return WorkflowState(self.workflow.state) if self.workflow else None

    @property
    def status(self) -> units.V1Status:
        return "pending" if self.workflow is None else units.status(self.workflow.state)

    @property
    def parameters(self) -> SeasonParameters:
        stored: dict[str, Any] | None = self.v1.parameters or (
            self.workflow.parameters if self.workflow else None
        )
        if stored is None:
            raise ApiError(404, f"workflow {self.v1_id} has no season parameters yet")
        return SeasonParameters.model_validate(stored)

    @property
    def markdown_enabled(self) -> bool:
        """Created with a checkpoint (v1), and the domain season has one (an `/api` season
        created with a null checkpoint has no markdown either)."""
        if not self.v1.markdown_enabled:
            return False
        stored = self.v1.parameters or (self.workflow.parameters if self.workflow else None)
        return not stored or stored.get("markdown_checkpoint_week") is not None

    def require_workflow(self, what: str) -> Workflow:
        if self.workflow is None:
            raise ApiError(
                404,
                f"{what} of workflow {self.v1_id} not found: the workflow is pending; "
                f"POST /api/v1/workflows/{self.v1_id}/execute starts it",
            )
        return self.workflow


async def season(
    session: AsyncSession, raw_id: str, what: str = "workflow", *, lock: bool = False
) -> Season:
    v1 = await ids.resolve(session, raw_id, what)
    if lock:
        await session.refresh(v1, with_for_update=True)
    workflow = await session.get(Workflow, v1.workflow_id, with_for_update=lock or None)
    return Season(v1, workflow)


async def season_kept(sessionmaker: async_sessionmaker[AsyncSession], raw_id: str) -> Season:
    """`season`, in a transaction of its own that keeps the v1 mapping a first v1 use of a
    UUID makes (for an endpoint that reads with a read session, or holds none open)."""
    async with transaction(sessionmaker) as session:
        return await season(session, raw_id)
