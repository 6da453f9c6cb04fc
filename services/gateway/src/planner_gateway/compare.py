"""Two or more seasons side by side: each one's report, its figures in columns.

The rows are the report's own figures (planned, bought, sold, sell-through, accuracy, money
to date and projected, and a replay's history), so a comparison never says what the report
does not. The ids are checked before any report is built: 422 naming the field for fewer
than two, more than `MAX_SEASONS`, an id that is not a season id of this API (a contract v1
`wf_` id, say), or a season that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError, ErrorDetail
from planner_gateway.report import season_report
from planner_gateway.schemas.compare import ComparisonRow, SeasonColumn, SeasonComparison, Unit
from planner_gateway.schemas.report import SeasonReport
from planner_shared.db.models import Workflow

MAX_SEASONS = 6

ROWS: tuple[tuple[str, str, Unit], ...] = (
    ("planned_units", "Planned (first forecast)", "units"),
    ("manufactured_units", "Bought", "units"),
    ("actual_units", "Sold", "units"),
    ("sell_through_fraction", "Sell-through", "fraction"),
    ("wape_fraction", "Forecast error (WAPE)", "fraction"),
    ("bias_fraction", "Forecast bias", "fraction"),
    ("revenue", "Revenue to date", "currency"),
    ("gross_margin", "Gross margin to date", "currency"),
    ("lost_sales", "Lost sales to date", "units"),
    ("projected_season_margin", "Season margin (projected)", "currency"),
    ("projected_leftover_units", "Leftover (projected)", "units"),
    ("projected_gmroi", "GMROI (projected)", "ratio"),
    ("replay_history_units", "Replay: sold in the history", "units"),
    ("replay_lost_sales_units", "Replay: history the plan could not serve", "units"),
)


def figures(report: SeasonReport) -> dict[str, float | None]:
    """The report's season-wide figures, by the rows' metric names."""
    total = report.categories[0]
    actual = report.money.actual.total if report.money else None
    projected = report.money.projected.total if report.money else None
    replay = report.replay.lines[0] if report.replay else None
    values: dict[str, float | int | None] = {
        "planned_units": total.planned_units,
        "manufactured_units": total.manufactured_units,
        "actual_units": total.actual_units,
        "sell_through_fraction": total.sell_through_fraction,
        "wape_fraction": total.wape_fraction,
        "bias_fraction": total.bias_fraction,
        "revenue": actual.revenue if actual else None,
        "gross_margin": actual.gross_margin if actual else None,
        "lost_sales": actual.lost_sales if actual else None,
        "projected_season_margin": projected.season_margin if projected else None,
        "projected_leftover_units": projected.leftover_units if projected else None,
        "projected_gmroi": projected.gmroi if projected else None,
        "replay_history_units": replay.history_units if replay else None,
        "replay_lost_sales_units": replay.lost_sales_units if replay else None,
    }
    return {k: None if v is None else float(v) for k, v in values.items()}


def _refuse(message: str, values: Sequence[str] = ()) -> ApiError:
    details = [ErrorDetail(field="ids", value=v[:200], message=message) for v in values]
    return ApiError(422, message, details=details or [ErrorDetail(field="ids", message=message)])


def parse_ids(raw: Sequence[str]) -> list[UUID]:
    """The ids asked for, from repeated `ids` or comma-separated ones, each once, in order."""
    values = list(dict.fromkeys(v.strip() for item in raw for v in item.split(",") if v.strip()))
    if len(values) < 2:
        raise _refuse("compare needs at least two season ids (ids=<id>,<id>)", values)
    if len(values) > MAX_SEASONS:
        raise _refuse(f"at most {MAX_SEASONS} seasons are compared at once; {len(values)} given")
    ids: list[UUID] = []
    foreign: list[str] = []
    for value in values:
        try:
            ids.append(UUID(value))
        except ValueError:
            foreign.append(value)
    if foreign:
        raise _refuse(
            "not a season id of this API (a season's workflow_id, a UUID; a contract v1 "
            f"wf_ id is not one): {', '.join(foreign)}",
            foreign,
        )
    return ids


async def compare(session: AsyncSession, ids: list[UUID]) -> SeasonComparison:
    found = set(await session.scalars(select(Workflow.id).where(Workflow.id.in_(ids))))
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise _refuse(f"no such season: {', '.join(unknown)}", unknown)
    reports = [await season_report(session, i) for i in ids]
    columns = [figures(r) for r in reports]
    return SeasonComparison(
        seasons=[_column(r) for r in reports],
        rows=[
            ComparisonRow(
                metric=metric, label=label, unit=unit, values=[c[metric] for c in columns]
            )
            for metric, label, unit in ROWS
        ],
    )


def _column(report: SeasonReport) -> SeasonColumn:
    parameters = report.parameters or {}
    return SeasonColumn(
        workflow_id=report.workflow_id,
        name=report.name,
        state=report.state,
        season_start_date=parameters.get("season_start_date"),
        horizon_weeks=report.horizon_weeks,
        weeks_in=report.weeks_in,
        replayed=report.replay is not None,
    )
