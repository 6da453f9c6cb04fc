"""Forecast run numbers: one sequence per workflow, claimed by two services.

The forecast service claims a re-forecast when a variance check fires; the orchestrator claims
one when a planner asks for it. A claimed run is not in `forecasts` until it completes, so
numbering from stored runs alone hands the same number out twice. Both claimants take the
workflow's run-number lock first and number after everything claimed so far: stored runs,
runs variance checks requested, and the orchestrator's current run.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.models import Forecast, VarianceCheck, Workflow

_LOCK_NAMESPACE = "forecast-runs"


async def lock_run_numbers(session: AsyncSession, workflow_id: UUID) -> None:
    """Hold the workflow's run-number lock until the transaction ends (commit or rollback)."""
    key = func.hashtextextended(f"{_LOCK_NAMESPACE}:{workflow_id}", 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def highest_claimed_run(session: AsyncSession, workflow: Workflow) -> int:
    """The highest run number stored, requested or current; 0 before the first forecast.
    Read it under `lock_run_numbers`, or another claim may take the next number meanwhile."""
    stored = await session.scalar(
        select(func.max(Forecast.run_number)).where(Forecast.workflow_id == workflow.id)
    )
    requested = await session.scalar(
        select(func.max(VarianceCheck.reforecast_run_number)).where(
            VarianceCheck.workflow_id == workflow.id
        )
    )
    current = (workflow.context or {}).get("run_number")
    return max(int(stored or 0), int(requested or 0), int(current or 0))
