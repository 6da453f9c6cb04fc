"""Seasons in and out of PostgreSQL: a workflow row (and its memory) becomes a `Season`, and
the season goes back whole, with every move it made recorded, in the caller's transaction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_agents.markdown_inputs import load_pricing_inputs
from planner_agents.memory import WorkflowMemory
from planner_agents.season import Season
from planner_agents.stock_facts import stock_facts
from planner_shared.db.models import Category, Workflow, WorkflowTransition
from planner_shared.events import ManufacturingProposal, MarkdownProposal
from planner_shared.markdown import DEFAULT_MAX_MARKDOWN_PERCENTAGE
from planner_shared.parameters import ParameterExtraction, SeasonParameters
from planner_shared.workflow import WorkflowState


class UnknownWorkflowError(Exception):
    pass


# States in which the season has stock (or is being allocated it): the agents' stock facts
# are read then, not in the states before the order.
HAS_STOCK = frozenset(
    {
        WorkflowState.ALLOCATING,
        WorkflowState.IN_SEASON,
        WorkflowState.REFORECASTING,
        WorkflowState.AWAITING_MARKDOWN_APPROVAL,
    }
)


class SeasonRepository:
    """The seasons of one transaction: `get` locks the row, `save` writes the season back."""

    def __init__(
        self,
        session: AsyncSession,
        producer: str,
        max_markdown: float = DEFAULT_MAX_MARKDOWN_PERCENTAGE,
    ) -> None:
        self._session = session
        self._producer = producer
        self._max_markdown = max_markdown
        self._rows: dict[UUID, Workflow] = {}

    async def get(self, workflow_id: UUID) -> Season:
        """The season, its row locked for this transaction so replicas never interleave."""
        row: Workflow | None = await self._session.scalar(
            select(Workflow).where(Workflow.id == workflow_id).with_for_update()
        )
        if row is None:
            raise UnknownWorkflowError(f"workflow {workflow_id} does not exist")
        self._rows[workflow_id] = row
        categories = (await self._session.scalars(select(Category))).all()
        return Season(
            id=row.id,
            state=WorkflowState(row.state),
            memory=WorkflowMemory.model_validate(row.context or {}),
            parameters=(
                SeasonParameters.model_validate(row.parameters) if row.parameters else None
            ),
            category_codes=row.category_codes,
            extraction=(
                ParameterExtraction.model_validate(row.extraction) if row.extraction else None
            ),
            pending_proposal=_proposal(row.pending_input),
            pending_request_id=_request_id(row.pending_input),
            error=row.error,
            updated_at=row.updated_at,
            completed_at=row.completed_at,
            pricing=await load_pricing_inputs(self._session, row.id, categories),
            stock=(
                await stock_facts(self._session, row.id, self._max_markdown)
                if WorkflowState(row.state) in HAS_STOCK
                else None
            ),
            producer=self._producer,
        )

    def save(self, season: Season) -> None:
        row: Workflow = self._rows[season.id]
        row.state = season.state.value
        # Whole values, not mutations: SQLAlchemy only notices a new JSONB value.
        row.context = season.memory.model_dump(mode="json", exclude_defaults=True)
        _set_if_changed(
            row,
            "parameters",
            season.parameters.model_dump(mode="json") if season.parameters else None,
        )
        _set_if_changed(
            row,
            "extraction",
            season.extraction.model_dump(mode="json") if season.extraction else None,
        )
        _set_if_changed(row, "pending_input", _pending(season))
        row.error = season.error
        if season.updated_at is not None:
            row.updated_at = season.updated_at
        row.completed_at = season.completed_at
        for t in season.transitions:
            self._session.add(
                WorkflowTransition(
                    workflow_id=season.id,
                    from_state=t.from_state.value,
                    to_state=t.to_state.value,
                    accepted=t.accepted,
                    event_id=t.event_id,
                    event_type=t.event_type,
                    reason=t.reason,
                )
            )
        season.transitions.clear()


def _set_if_changed(row: Workflow, name: str, value: dict[str, Any] | None) -> None:
    if getattr(row, name) != value:
        setattr(row, name, value)


def _pending(season: Season) -> dict[str, Any] | None:
    proposal = season.pending_proposal
    if proposal is None:
        return None
    pending: dict[str, Any] = {"kind": proposal.kind, "proposal": proposal.model_dump(mode="json")}
    if season.pending_request_id is not None:
        pending["request_event_id"] = str(season.pending_request_id)
    return pending


def _request_id(pending: dict[str, Any] | None) -> UUID | None:
    value = (pending or {}).get("request_event_id")
    return UUID(str(value)) if value else None


def _proposal(
    pending: dict[str, Any] | None,
) -> ManufacturingProposal | MarkdownProposal | None:
    if not pending:
        return None
    if pending.get("kind") == "manufacturing":
        return ManufacturingProposal.model_validate(pending["proposal"])
    return MarkdownProposal.model_validate(pending["proposal"])
