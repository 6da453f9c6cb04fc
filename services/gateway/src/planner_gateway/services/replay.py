"""A past season replayed: its request, and one step of it at a time (docs/replay.md).

Every step runs in one transaction that locks the season's `replays` row: it feeds the next
week of the history through the normal upload (`services.actuals.upload_week`: the same
checks and the same `actuals.uploaded`), or takes an automatic decision, or finds that the
season is still at work and does nothing. The row records how far the replay got in the same
transaction as the week it fed, so a step taken twice (a restart, two gateways) feeds no week
twice, and a restarted gateway resumes where it stopped (planner_gateway.replay_runner).

A week is fed only once the season has processed the one before: its variance check (and
sell-through check, at the checkpoint) handled by the orchestrator, no re-forecast under way,
no decision pending. A pending decision is accepted by `automatic replay (for <requester>)`
when the replay decides automatically, and waited for otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, cast
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import SERVICE_NAME
from planner_gateway.access import refuse_foreign_write
from planner_gateway.auth import Principal
from planner_gateway.errors import ApiError, ErrorDetail, wrong_state
from planner_gateway.replay_history import (
    SeasonSpan,
    history_demand,
    replay_rows,
    span_of,
    weeks_missing,
)
from planner_gateway.repository import get_workflow, weeks_with_actuals
from planner_gateway.schemas.replay import (
    ReplayCreate,
    ReplayDecisions,
    ReplayRead,
    ReplayStatus,
)
from planner_gateway.services.actuals import upload_week
from planner_gateway.settings import Role
from planner_shared.bus.router import MessageContext
from planner_shared.db.models import Approval, ProcessedEvent, Replay, Workflow, WorkflowEvent
from planner_shared.events import (
    ApprovalKind,
    DecisionAction,
    DecisionSubmitted,
    DecisionSubmittedPayload,
    ReplayProgressed,
    ReplayProgressedPayload,
)
from planner_shared.stock.season import load_season_stock
from planner_shared.workflow import TERMINAL_STATES, WorkflowState

ORCHESTRATOR_GROUP = "agents"
"""The consumer group whose processed events say the orchestrator has taken a week in."""
DECIDING = {
    WorkflowState.AWAITING_MANUFACTURING_APPROVAL: ApprovalKind.MANUFACTURING,
    WorkflowState.AWAITING_MARKDOWN_APPROVAL: ApprovalKind.MARKDOWN,
}
OPEN = ("running", "waiting")

Outcome = Literal["fed", "decided", "waiting", "paused", "finished", "failed", "busy", "gone"]


@dataclass(frozen=True)
class Step:
    outcome: Outcome

    @property
    def over(self) -> bool:
        return self.outcome in ("paused", "finished", "failed", "gone")

    @property
    def moved(self) -> bool:
        return self.outcome in ("fed", "decided")


def decider(requested_by: str) -> str:
    """Who an automatic decision of a replay is recorded under."""
    return f"automatic replay (for {requested_by})"[:100]


def read(replay: Replay, span: SeasonSpan) -> ReplayRead:
    return ReplayRead(
        workflow_id=replay.workflow_id,
        # The table's check constraints hold these to the literals.
        status=cast(ReplayStatus, replay.status),
        decisions=cast(ReplayDecisions, replay.decisions),
        weeks_done=replay.weeks_done,
        weeks_target=replay.weeks_target,
        horizon_weeks=span.horizon,
        history_from=span.start.isoformat(),
        requested_by=replay.requested_by,
        decided_by=decider(replay.requested_by) if replay.decisions == "automatic" else None,
        message=replay.message,
        started_at=replay.started_at,
        updated_at=replay.updated_at,
        finished_at=replay.finished_at,
    )


def _span(workflow: Workflow) -> SeasonSpan:
    span = span_of(workflow)
    if span is None:
        raise wrong_state(
            workflow.id,
            workflow.state,
            "a replay",
            "a season with its start and length",
            "replay it once its parameters are extracted",
        )
    return span


async def _refuse_outside_history(session: AsyncSession, span: SeasonSpan) -> None:
    """Only a season whose every week is in the history can be replayed from it."""
    missing = weeks_missing(await history_demand(session, span), span.horizon)
    if not missing:
        return
    listed = ", ".join(str(w) for w in missing[:6]) + (" ..." if len(missing) > 6 else "")
    message = (
        f"the sales history holds no sales for week {listed} of this season (it starts "
        f"{span.start.isoformat()}): a replay feeds the history's own weeks, so only a season "
        "inside the history can be replayed"
    )
    raise ApiError(
        422,
        message,
        code="season_outside_history",
        details=[ErrorDetail(field="parameters.season_start_date", message=message)],
    )


def _target(weeks: int | str, done: int, horizon: int) -> int:
    if weeks == "all":
        return horizon
    assert isinstance(weeks, int)
    if not 1 <= weeks <= horizon - done:
        message = f"{horizon - done} weeks of this {horizon}-week season are left to replay"
        raise ApiError(
            422,
            f'weeks must be "all" or 1 to {horizon - done}: {message}',
            details=[ErrorDetail(field="weeks", value=str(weeks), message=message)],
        )
    return done + weeks


async def request_replay(
    uow: MessageContext, workflow_id: UUID, body: ReplayCreate, principal: Principal
) -> ReplayRead:
    """Start (or continue) a replay; raises 403, 404, 409 and 422 before writing anything."""
    session = uow.session
    workflow = await get_workflow(session, workflow_id, lock=True)
    refuse_foreign_write(workflow.created_by, principal, workflow_id, "replay")
    state = WorkflowState(workflow.state)
    if state in TERMINAL_STATES:
        raise wrong_state(workflow_id, state.value, "a replay", "a season that has not ended")
    span = _span(workflow)
    await _refuse_outside_history(session, span)
    replay = await session.get(Replay, workflow_id, with_for_update=True)
    done = len(await weeks_with_actuals(session, workflow_id))
    if replay is None:
        replay = Replay(workflow_id=workflow_id, weeks_done=done, decided_approvals=[])
        session.add(replay)
    replay.weeks_done = max(done, replay.weeks_done or 0)
    replay.weeks_target = _target(body.weeks, replay.weeks_done, span.horizon)
    replay.decisions = body.decisions
    replay.requested_by = principal.name
    replay.finished_at = None
    what = "every week" if body.weeks == "all" else f"to week {replay.weeks_target}"
    _progress(
        uow,
        replay,
        span,
        "running",
        f"replaying {what} of the history "
        f"from {span.start.isoformat()}, decisions {body.decisions}",
    )
    await session.flush()
    await session.refresh(replay)
    return read(replay, span)


def _progress(
    uow: MessageContext, replay: Replay, span: SeasonSpan, status: ReplayStatus, message: str
) -> None:
    """Record where the replay stands and say it on the season's socket."""
    replay.status = status
    replay.message = message
    replay.updated_at = datetime.now(UTC)
    if status in ("finished", "failed"):
        replay.finished_at = replay.updated_at
    uow.emit(
        ReplayProgressed(
            workflow_id=replay.workflow_id,
            producer=SERVICE_NAME,
            payload=ReplayProgressedPayload(
                status=status,
                weeks_done=replay.weeks_done,
                weeks_target=replay.weeks_target,
                horizon_weeks=span.horizon,
                decisions=cast(ReplayDecisions, replay.decisions),
                message=message,
            ),
        )
    )


def _wait(uow: MessageContext, replay: Replay, span: SeasonSpan, message: str) -> Step:
    """Waiting says so once, not at every look."""
    if replay.status != "waiting" or replay.message != message:
        _progress(uow, replay, span, "waiting", message)
    return Step("waiting")


async def _locked(session: AsyncSession, workflow_id: UUID) -> Replay | None:
    """The replay's row, or None while another step holds it."""
    query = select(Replay).where(Replay.workflow_id == workflow_id)
    found: Replay | None = await session.scalar(query.with_for_update(skip_locked=True))
    return found


async def advance(uow: MessageContext, workflow_id: UUID) -> Step:
    """One step of the replay, in the caller's transaction."""
    session = uow.session
    replay = await _locked(session, workflow_id)
    if replay is None:
        held = await session.scalar(select(Replay.status).where(Replay.workflow_id == workflow_id))
        return Step("gone" if held is None else "busy")
    if replay.status not in OPEN:
        return Step(cast(Outcome, replay.status))
    workflow = await get_workflow(session, workflow_id)
    span = _span(workflow)
    state = WorkflowState(workflow.state)
    if state in TERMINAL_STATES:
        ended = state is WorkflowState.COMPLETED
        message = (
            "the season completed: the report holds the replay's figures"
            if ended
            else f"the season is {state.value}"
        )
        _progress(uow, replay, span, "finished" if ended else "failed", message)
        return Step("finished" if ended else "failed")
    if state in DECIDING:
        return await _decide(uow, replay, span, DECIDING[state])
    if state is not WorkflowState.IN_SEASON:
        return _wait(uow, replay, span, f"the season is {state.value.replace('_', ' ')}")
    if replay.weeks_done >= replay.weeks_target:
        if replay.weeks_target < span.horizon:
            _progress(uow, replay, span, "paused", f"paused after week {replay.weeks_done}")
            return Step("paused")
        return _wait(uow, replay, span, "every week is in; the season completes")
    if replay.weeks_done and not await _week_taken_in(session, workflow_id, replay.weeks_done):
        return _wait(uow, replay, span, f"the season is taking week {replay.weeks_done} in")
    return await _feed(uow, replay, span, workflow)


async def _week_taken_in(session: AsyncSession, workflow_id: UUID, week: int) -> bool:
    """The orchestrator has handled the week's checks (variance, and sell-through at the
    checkpoint): what it decides on them (a re-forecast, a markdown) is in its state."""
    checks = list(
        await session.scalars(
            select(WorkflowEvent.event_id).where(
                WorkflowEvent.workflow_id == workflow_id,
                WorkflowEvent.type.in_(("variance.checked", "sell_through.computed")),
                WorkflowEvent.envelope["payload"]["week_number"].as_integer() == week,
            )
        )
    )
    if not checks:
        return False
    handled = await session.scalar(
        select(func.count())
        .select_from(ProcessedEvent)
        .where(
            ProcessedEvent.consumer_group == ORCHESTRATOR_GROUP,
            ProcessedEvent.event_id.in_(checks),
        )
    )
    return handled == len(checks)


async def _decide(
    uow: MessageContext, replay: Replay, span: SeasonSpan, kind: ApprovalKind
) -> Step:
    if replay.decisions != "automatic":
        return _wait(uow, replay, span, f"waiting for the approver's {kind.value} decision")
    approval = await uow.session.scalar(
        select(Approval)
        .where(
            Approval.workflow_id == replay.workflow_id,
            Approval.kind == kind.value,
            Approval.status == "pending",
        )
        .order_by(Approval.created_at.desc())
        .limit(1)
    )
    if approval is None or str(approval.id) in replay.decided_approvals:
        return _wait(uow, replay, span, f"the {kind.value} decision is being recorded")
    by = decider(replay.requested_by)
    uow.emit(
        DecisionSubmitted(
            workflow_id=replay.workflow_id,
            producer=SERVICE_NAME,
            payload=DecisionSubmittedPayload(
                kind=kind,
                action=DecisionAction.ACCEPT,
                reason="a replay deciding automatically accepts the proposal as proposed",
                decided_by=by,
            ),
        )
    )
    replay.decided_approvals = [*replay.decided_approvals, str(approval.id)]
    unit = "%" if kind is ApprovalKind.MARKDOWN else " units"
    amount = f"{approval.proposed_value:,.0f}{unit}"
    _progress(uow, replay, span, "running", f"{kind.value} proposal ({amount}) accepted by {by}")
    return Step("decided")


async def _feed(uow: MessageContext, replay: Replay, span: SeasonSpan, workflow: Workflow) -> Step:
    """The next week of the history, as the plan's stores could have sold it, uploaded."""
    session = uow.session
    week = replay.weeks_done + 1
    demand = await history_demand(session, span)
    rows = replay_rows(await load_season_stock(session, workflow.id), demand, week)
    # Authorised when the replay was asked for: the requester, or an operator for them.
    role = Role.PLANNER if replay.requested_by == workflow.created_by else Role.OPERATOR
    monday = span.start + timedelta(weeks=week - 1)
    await upload_week(
        uow,
        workflow_id=workflow.id,
        rows=rows,
        filename=f"replay week {week:02d} (history {monday.isoformat()})",
        principal=Principal(replay.requested_by, frozenset({role})),
        week_number=week,
    )
    replay.weeks_done = week
    sold = sum(r.units_sold for r in rows)
    wanted = sum(u for (_, _, w), u in demand.items() if w == week)
    _progress(
        uow,
        replay,
        span,
        "running",
        f"week {week} fed from the history: {sold:,} units sold of the {wanted:,} sold then",
    )
    return Step("fed")


async def fail(uow: MessageContext, workflow_id: UUID, reason: str) -> None:
    """A week the upload refused ends the replay, with the refusal's reason."""
    replay = await uow.session.get(Replay, workflow_id, with_for_update=True)
    workflow = await uow.session.get(Workflow, workflow_id)
    span = span_of(workflow) if workflow is not None else None
    if replay is not None and span is not None and replay.status in OPEN:
        _progress(uow, replay, span, "failed", reason)


async def open_replays(session: AsyncSession) -> list[UUID]:
    """The replays a gateway that starts should drive on."""
    return list(await session.scalars(select(Replay.workflow_id).where(Replay.status.in_(OPEN))))
