"""One week of a season's actuals, uploaded: the rules every upload path applies.

`/api/data/weekly-actuals` and v1 `sales_data` both come here, so both refuse an implausible
quantity (planner_gateway.plausibility), a season that does not take actuals, a week that
skips an earlier one, and both re-run the re-forecast a corrected week's wrong figures
started. The events are staged through the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import SERVICE_NAME
from planner_gateway.access import refuse_foreign_write
from planner_gateway.actuals import ActualsLoad, load_weekly_actuals
from planner_gateway.auth import Principal
from planner_gateway.errors import ApiError, one_of, wrong_state
from planner_gateway.plausibility import (
    Finding,
    add_findings,
    find_implausible,
    refusal,
)
from planner_gateway.repository import get_workflow, weeks_with_actuals
from planner_gateway.upload_rows import quantities
from planner_shared.bus.router import MessageContext
from planner_shared.datasets.csv_formats import CsvValidationError, ErrorCollector, WeeklyActualRow
from planner_shared.events import (
    ActualsUploaded,
    ActualsUploadedPayload,
)
from planner_shared.workflow import TERMINAL_STATES, WorkflowState

# Weeks of actuals are accepted once the allocation is done and until the season closes.
ACCEPTS_ACTUALS = frozenset(
    {
        WorkflowState.IN_SEASON,
        WorkflowState.REFORECASTING,
        WorkflowState.AWAITING_MARKDOWN_APPROVAL,
    }
)


@dataclass(frozen=True)
class WeekUploaded:
    """A stored week and the events staged for it."""

    load: ActualsLoad
    event: ActualsUploaded


def takes_actuals(state: WorkflowState) -> bool:
    return state in ACCEPTS_ACTUALS


def refuse_state(workflow_state: WorkflowState, workflow_id: object) -> None:
    if takes_actuals(workflow_state):
        return
    hint = (
        "the season is over"
        if workflow_state in TERMINAL_STATES
        else "actuals are accepted once the manufacturing order is approved and allocated"
    )
    needs = one_of([s.value for s in WorkflowState if s in ACCEPTS_ACTUALS])
    raise wrong_state(workflow_id, workflow_state.value, "an upload of weekly actuals", needs, hint)


def refuse_gap(week: int, stored: Sequence[int]) -> None:
    """Variance is over the weeks so far, so a week may not skip one before it."""
    missing = sorted(set(range(1, week)) - set(stored))
    if missing:
        listed = ", ".join(str(w) for w in missing)
        raise ApiError(
            409,
            f"week {week} cannot be uploaded before week {listed}: "
            "the variance check runs over every week so far",
            code="missing_weeks",
        )


async def _implausible(
    session: AsyncSession,
    rows: Sequence[WeeklyActualRow],
    allow_implausible: bool,
    errors: ErrorCollector | None,
) -> list[Finding]:
    """The rows past the plausibility bound: refused at once without a collector; with one,
    listed beside the file's other problems so one answer names them all."""
    findings = await find_implausible(
        session, quantities(rows, "units_sold"), allow_implausible=allow_implausible
    )
    if findings and errors is None:
        raise refusal(findings)
    if errors is not None:
        add_findings(errors, findings)
    return findings


async def upload_week(
    uow: MessageContext,
    *,
    workflow_id: UUID,
    rows: Sequence[WeeklyActualRow],
    filename: str,
    principal: Principal,
    sha256: str | None = None,
    week_number: int | None = None,
    missing_as_zero: bool = False,
    allow_implausible: bool = False,
    errors: ErrorCollector | None = None,
) -> WeekUploaded:
    """Store one week and stage `actuals.uploaded` (and a corrected week's re-run).

    Raises `ApiError` (422 `implausible_quantity`, 403 `not_your_workflow`, 404, 409) and the
    loader's `CsvValidationError` / `IncompleteWeekError`; the caller's transaction rolls back
    then.
    """
    session, uploaded_by = uow.session, principal.name
    findings = await _implausible(session, rows, allow_implausible, errors)
    # Locked so a state change (or a second upload) cannot interleave with this one.
    workflow = await get_workflow(session, workflow_id, lock=True)
    refuse_foreign_write(workflow.created_by, principal, workflow_id, "upload actuals to")
    refuse_state(WorkflowState(workflow.state), workflow_id)
    try:
        load = await load_weekly_actuals(
            session,
            workflow_id=workflow_id,
            rows=rows,
            filename=filename,
            uploaded_by=uploaded_by,
            sha256=sha256,
            week_number=week_number,
            missing_as_zero=missing_as_zero,
            errors=errors,
        )
    except CsvValidationError as exc:
        if findings and exc.total == len(findings):
            # Nothing else is wrong: the specific refusal, which says how to keep the figures.
            raise refusal(findings) from None
        raise
    # Checked after the load (which knows the week); a refusal rolls the load back.
    refuse_gap(load.week_number, await weeks_with_actuals(session, workflow_id))
    event = ActualsUploaded(
        workflow_id=workflow_id,
        producer=SERVICE_NAME,
        payload=ActualsUploadedPayload(
            upload_id=load.upload_id,
            week_number=load.week_number,
            row_count=load.row_count,
            replaced_previous=load.replaced_previous,
            same_as_previous=load.same_as_previous,
            uploaded_by=uploaded_by,
        ),
    )
    # Whether a corrected week re-runs its re-forecast is the orchestrator's decision, from
    # this event (`same_as_previous`, `replaced_previous`).
    uow.emit(event)
    return WeekUploaded(load=load, event=event)
