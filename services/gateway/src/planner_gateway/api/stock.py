"""The season's stock ledger: stock by store, category and week, the DC, the forward plan."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from planner_gateway import stock, transfers
from planner_gateway.auth import CurrentPrincipal
from planner_gateway.deps import ReadSession, StateDep
from planner_gateway.errors import responses
from planner_gateway.schemas.stock import StockView
from planner_gateway.schemas.transfers import TransfersView

router = APIRouter(tags=["stock"])


@router.get(
    "/workflows/{workflow_id}/stock",
    response_model=StockView,
    responses=responses(404, 409),
    summary="The stock ledger: every store and the DC by week, weeks in as they happened and "
    "the rest as the forward plan with its 80 % band; stock alerts",
)
async def season_stock(
    workflow_id: UUID,
    _: CurrentPrincipal,
    session: ReadSession,
    store: Annotated[str | None, Query(max_length=32, description="One store's rows.")] = None,
    category: Annotated[
        str | None, Query(max_length=32, description="One category (its code).")
    ] = None,
    week: Annotated[int | None, Query(ge=1, le=52, description="One week of the season.")] = None,
) -> StockView:
    return await stock.stock_view(
        session,
        workflow_id,
        store=store.upper() if store else None,
        category=category.upper() if category else None,
        week=week,
    )


@router.get(
    "/workflows/{workflow_id}/sample-actuals.csv",
    responses=responses(404, 409) | {200: {"content": {"text/csv": {}}}},
    response_class=Response,
    summary="A week of the sample season as this season's stores could sell it: the sample's "
    "demand capped by the stock the season put in each store (a file to upload)",
)
async def sample_actuals(
    workflow_id: UUID,
    _: CurrentPrincipal,
    session: ReadSession,
    state: StateDep,
    week: Annotated[int, Query(ge=1, le=52, description="The season week to write.")],
) -> Response:
    text = await stock.sample_week(session, workflow_id, week, state.settings.sample_demand_file)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="week_{week:02d}.csv"'},
    )


@router.get(
    "/workflows/{workflow_id}/transfers",
    response_model=TransfersView,
    responses=responses(404),
    summary="The season's transfer proposals (DC releases and store-to-store moves), newest "
    "first, with their status, the approved moves and the projected lost sales",
)
async def season_transfers(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> TransfersView:
    return await transfers.transfers_view(session, workflow_id)
