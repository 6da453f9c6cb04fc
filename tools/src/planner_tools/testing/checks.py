"""Events and checks the services' tests share."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text

from planner_shared.events import (
    CategoryForecastSummary,
    ForecastCompleted,
    ForecastCompletedPayload,
    ManufacturingLine,
    ManufacturingRecommendation,
)


def forecast_completed(workflow_id: UUID, run: int = 1) -> ForecastCompleted:
    """The forecast service's answer for one KNIT category: 1,000 units, an order on run 1."""
    line = ManufacturingLine(
        category_code="KNIT",
        forecast_units=1000,
        safety_stock_pct=10.0,
        stock_on_hand=100,
        quantity=1000,
    )
    return ForecastCompleted(
        workflow_id=workflow_id,
        producer="forecast",
        payload=ForecastCompletedPayload(
            run_number=run,
            reason="initial" if run == 1 else "variance",
            season_total=1000,
            categories=[
                CategoryForecastSummary(
                    category_code="KNIT",
                    season_total=1000,
                    lower_80=900,
                    upper_80=1100,
                    lower_95=850,
                    upper_95=1150,
                    method="ensemble",
                )
            ],
            cluster_count=3,
            manufacturing=ManufacturingRecommendation(total_quantity=1000, lines=[line])
            if run == 1
            else None,
        ),
    )


async def assert_workflow_row_free(sessionmaker: Any, workflow_id: UUID) -> None:
    """Another connection can lock the workflow's row at once, and no session sits idle in an
    open transaction: what a handler doing long work outside its transaction leaves."""
    async with sessionmaker() as other, other.begin():
        locked = await other.scalar(
            text("SELECT id FROM workflows WHERE id = :id FOR UPDATE NOWAIT"), {"id": workflow_id}
        )
        assert locked == workflow_id
        open_elsewhere = await other.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
            )
        )
        assert open_elsewhere == 0
