"""Contract v1 ids and how they map to ours.

A v1 workflow id is `wf_` + 12 lowercase hex characters, drawn at random and stored in
`v1_workflows` beside our workflow UUID (unique on both sides; never cut from the UUID). The
resources of one workflow carry the same hex: forecast `fc_<hex>`, allocation `al_<hex>`,
markdown `md_<hex>`, so every v1 resource path accepts any of them, and also the workflow's
UUID (a workflow started through `/api` gets a v1 id the first time v1 names it).

`FORECAST_SPRING_2025`, the forecast id the client hard-codes for its weekly chart, resolves
to the newest forecast stored (of any workflow).
"""

from __future__ import annotations

import re
import secrets
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError
from planner_shared.db.frontend_v1 import V1Workflow
from planner_shared.db.models import Forecast, Workflow

NEWEST_FORECAST_ALIAS = "FORECAST_SPRING_2025"
PREFIXES = ("wf", "fc", "al", "md")
_ID = re.compile(r"^(wf|fc|al|md)_([0-9a-f]{12})$")
_ATTEMPTS = 5


def new_hex() -> str:
    return secrets.token_hex(6)


def forecast_id(v1_id: str) -> str:
    return "fc_" + v1_id.removeprefix("wf_")


def allocation_id(v1_id: str) -> str:
    return "al_" + v1_id.removeprefix("wf_")


def markdown_id(v1_id: str) -> str:
    return "md_" + v1_id.removeprefix("wf_")


def not_found(what: str, raw_id: str) -> ApiError:
    return ApiError(404, f"{what} {raw_id} not found")


async def _insert(session: AsyncSession, row: dict[str, object]) -> V1Workflow | None:
    """Insert a mapping row with a fresh id; None if the workflow was mapped meanwhile."""
    for _ in range(_ATTEMPTS):
        v1_id = "wf_" + new_hex()
        inserted = await session.scalar(
            insert(V1Workflow)
            .values(v1_id=v1_id, **row)
            .on_conflict_do_nothing()
            .returning(V1Workflow.v1_id)
        )
        if inserted is not None:
            return await session.get(V1Workflow, inserted, populate_existing=True)
        if await _mapped(session, row["workflow_id"]) is not None:
            return None
    raise ApiError(500, "could not draw a free workflow id")  # 2^48 ids: never in practice


async def _mapped(session: AsyncSession, workflow_id: object) -> V1Workflow | None:
    found: V1Workflow | None = await session.scalar(
        select(V1Workflow).where(V1Workflow.workflow_id == workflow_id)
    )
    return found


async def create(session: AsyncSession, row: dict[str, object]) -> V1Workflow:
    created = await _insert(session, row)
    assert created is not None  # a fresh UUID is never mapped already
    return created


async def ensure(session: AsyncSession, workflow_id: UUID) -> V1Workflow:
    """The v1 mapping of an existing workflow, made on first use."""
    if (found := await _mapped(session, workflow_id)) is not None:
        return found
    workflow = await session.get(Workflow, workflow_id)
    if workflow is None:
        raise not_found("workflow", str(workflow_id))
    row: dict[str, object] = {
        "workflow_id": workflow_id,
        "request": None,
        "parameters": None,
        "category_codes": workflow.category_codes,
        "markdown_enabled": True,
        "created_by": workflow.created_by,
        "executed_at": workflow.created_at,
    }
    created = await _insert(session, row)
    if created is None:
        mapped = await _mapped(session, workflow_id)
        assert mapped is not None
        return mapped
    return created


async def resolve(session: AsyncSession, raw_id: str, what: str = "workflow") -> V1Workflow:
    """The v1 workflow an id of any v1 resource (or our UUID, or the alias) belongs to."""
    if raw_id == NEWEST_FORECAST_ALIAS:
        newest = await session.scalar(
            select(Forecast.workflow_id).order_by(Forecast.created_at.desc()).limit(1)
        )
        if newest is None:
            raise ApiError(404, f"forecast {raw_id} not found: no forecast has been made yet")
        return await ensure(session, newest)
    if match := _ID.match(raw_id):
        found = await session.get(V1Workflow, "wf_" + match.group(2))
        if found is None:
            raise not_found(what, raw_id)
        return found
    try:
        workflow_id = UUID(raw_id)
    except ValueError:
        raise not_found(what, raw_id) from None
    try:
        return await ensure(session, workflow_id)
    except ApiError:
        raise not_found(what, raw_id) from None
