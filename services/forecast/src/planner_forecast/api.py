"""The forecast service's own read endpoints for operators."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select

from planner_shared.db.models import Category, Forecast
from planner_shared.runtime import runtime_of

router = APIRouter(tags=["forecast"])


@router.get("/forecasts/{workflow_id}", summary="Forecast runs of a workflow, per category")
async def forecasts(request: Request, workflow_id: UUID) -> list[dict[str, Any]]:
    async with runtime_of(request).sessionmaker() as session:
        rows = (
            await session.execute(
                select(Forecast, Category.code)
                .join(Category, Category.id == Forecast.category_id)
                .where(Forecast.workflow_id == workflow_id)
                .order_by(Forecast.run_number, Category.code)
            )
        ).all()
    if not rows:
        raise HTTPException(404, f"no forecasts for workflow {workflow_id}")
    return [
        {
            "run_number": f.run_number,
            "category_code": code,
            "season_total": f.season_total,
            "method": f.method,
            "weights": f.diagnostics.get("weights"),
            "backtest_wape": f.diagnostics.get("backtest_wape"),
            "fallback_reason": f.diagnostics.get("fallback_reason"),
        }
        for f, code in rows
    ]
