"""`GET /api/workflows/{id}/report` and its CSV export."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from planner_gateway.auth import CurrentPrincipal
from planner_gateway.deps import ReadSession
from planner_gateway.errors import responses
from planner_gateway.report import report_csv, season_report
from planner_gateway.schemas.report import SeasonReport

router = APIRouter(prefix="/workflows/{workflow_id}", tags=["console"])


@router.get(
    "/report",
    response_model=SeasonReport,
    responses=responses(404),
    summary="The season report: planned against actual, WAPE and bias by category, decisions",
)
async def read_report(workflow_id: UUID, _: CurrentPrincipal, session: ReadSession) -> SeasonReport:
    return await season_report(session, workflow_id)


@router.get(
    "/report.csv",
    responses=responses(404) | {200: {"content": {"text/csv": {}}}},
    response_class=Response,
    summary="The season report as CSV (section, item, metric, value, unit, by, at, note)",
)
async def export_report(workflow_id: UUID, _: CurrentPrincipal, session: ReadSession) -> Response:
    report = await season_report(session, workflow_id)
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="season-{workflow_id}-report.csv"'},
    )
