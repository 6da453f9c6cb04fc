"""`GET /api/seasons/compare`: seasons side by side (planner_gateway.compare)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from planner_gateway.auth import CurrentPrincipal
from planner_gateway.compare import MAX_SEASONS, compare, parse_ids
from planner_gateway.deps import ReadSession
from planner_gateway.errors import responses
from planner_gateway.schemas.compare import SeasonComparison

router = APIRouter(prefix="/seasons", tags=["console"])


@router.get(
    "/compare",
    response_model=SeasonComparison,
    responses=responses(),
    summary="Two or more seasons side by side: the report's figures in columns",
)
async def compare_seasons(
    _: CurrentPrincipal,
    session: ReadSession,
    ids: Annotated[
        list[str],
        Query(
            description=f"2 to {MAX_SEASONS} season ids (workflow_id), comma-separated or repeated."
        ),
    ],
) -> SeasonComparison:
    return await compare(session, parse_ids(ids))
