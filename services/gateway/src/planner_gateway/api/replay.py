"""`POST /api/workflows/{id}/replay`: a past season replayed from the history (docs/replay.md)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, status

from planner_gateway.auth import CurrentPrincipal, SeasonWriter
from planner_gateway.deps import ReadSession, RuntimeDep, UnitOfWork
from planner_gateway.errors import ApiError, responses
from planner_gateway.replay_history import span_of
from planner_gateway.replay_runner import ReplayRunner
from planner_gateway.repository import get_workflow
from planner_gateway.schemas.replay import ReplayCreate, ReplayRead
from planner_gateway.services import replay
from planner_shared.db.models import Replay

router = APIRouter(prefix="/workflows/{workflow_id}", tags=["workflows"])

DESCRIPTION = """\
Replay a season whose weeks lie inside the sales history: each week of the history is fed as
the season's weekly actuals through the normal upload (the same checks, `actuals.uploaded`),
capped by the stock the plan put in each store, one week after the season has processed the
one before (its variance check, a re-forecast, a decision). `decisions: "automatic"` accepts
each proposal (the order, a markdown) as a decision recorded under
`automatic replay (for <you>)`; `"approver"` waits for the approver. `weeks`: `"all"`, or how
many more weeks (the replay then pauses; ask again to go on).

Progress is on the season's WebSocket (`replay.progressed` events) and at `GET` of this path;
the season report's `replay` section holds the plan against what happened. A restarted
gateway resumes the replay where it stopped. 422 `season_outside_history` when the history
lacks a week of the season; 409 for a season that has ended or has no start yet.
"""


@router.post(
    "/replay",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReplayRead,
    responses=responses(404, 409),
    summary="Replay the season's weeks from the sales history (a past season)",
    description=DESCRIPTION,
)
async def start_replay(
    workflow_id: UUID,
    body: ReplayCreate,
    principal: SeasonWriter,
    uow: UnitOfWork,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> ReplayRead:
    answer = await replay.request_replay(uow, workflow_id, body, principal)
    # After the commit (the runner's first step must find the row), on the event loop.
    background.add_task(_drive, runtime.part(ReplayRunner), workflow_id)
    return answer


async def _drive(runner: ReplayRunner, workflow_id: UUID) -> None:
    runner.start(workflow_id)


@router.get(
    "/replay",
    response_model=ReplayRead,
    responses=responses(404),
    summary="How far the season's replay got",
)
async def read_replay(workflow_id: UUID, _: CurrentPrincipal, session: ReadSession) -> ReplayRead:
    workflow = await get_workflow(session, workflow_id)
    found = await session.get(Replay, workflow_id)
    span = span_of(workflow)
    if found is None or span is None:
        raise ApiError(404, f"workflow {workflow_id} has not been replayed", code="not_found")
    return replay.read(found, span)
