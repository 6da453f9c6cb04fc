"""The season report's replay section: the plan against what happened (docs/replay.md).

Beside each other, over the weeks replayed: what the plan's first forecast expected, what it
bought, what the stores sold in the history (what happened), what the plan's stock sold of
that (the replay's uploads), the sales it lost (history - sold: the history's demand is
known, so these are counted, not estimated), and the replay's revenue and gross margin on the
ledger. The history holds units, not prices: its revenue is given at full price.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.replay_history import history_demand, span_of, units_by_category
from planner_gateway.schemas.charts import TOTAL
from planner_gateway.schemas.replay import ReplayDecisions, ReplayLine, ReplayReport, ReplayStatus
from planner_gateway.schemas.stock import MoneyRead, SeasonMoney
from planner_gateway.season_data import SeasonData
from planner_gateway.services.replay import decider
from planner_shared.db.models import Replay


def _planned(data: SeasonData, code: str, weeks: int) -> float | None:
    if not data.runs:
        return None
    by_week = data.runs[0].weeks.get(code, {})
    return round(sum(b.point for w, b in by_week.items() if w <= weeks), 1)


def _line(
    code: str,
    planned: float | None,
    bought: int | None,
    history: int,
    money: MoneyRead | None,
    price: float | None,
) -> ReplayLine:
    sold = money.units_sold if money is not None else 0.0
    return ReplayLine(
        category_code=code,
        planned_units=planned,
        bought_units=bought,
        history_units=history,
        sold_units=sold,
        lost_sales_units=round(max(history - sold, 0.0), 1),
        fill_fraction=round(sold / history, 4) if history else None,
        revenue=money.revenue if money is not None else 0.0,
        gross_margin=money.gross_margin if money is not None else None,
        history_revenue_at_full_price=None if price is None else round(history * price, 2),
    )


def lines(
    data: SeasonData, history: dict[str, int], money: SeasonMoney | None, weeks: int
) -> list[ReplayLine]:
    """TOTAL first, then each category: pure, from the loaded figures."""
    by_code = {m.category_code: m for m in money.actual.by_category} if money else {}
    per = [
        _line(
            code,
            _planned(data, code, weeks),
            data.manufactured.get(code),
            history.get(code, 0),
            by_code.get(code),
            data.prices.get(code),
        )
        for code in data.codes
    ]
    planned = [p.planned_units for p in per if p.planned_units is not None]
    total = _line(
        TOTAL,
        round(sum(planned), 1) if planned else None,
        data.manufactured_total,
        sum(history.get(c, 0) for c in data.codes),
        money.actual.total if money else None,
        None,
    )
    full_price = [p.history_revenue_at_full_price for p in per]
    if all(v is not None for v in full_price):
        total = total.model_copy(
            update={"history_revenue_at_full_price": round(sum(cast(list[float], full_price)), 2)}
        )
    return [total, *per]


async def replay_section(
    session: AsyncSession, data: SeasonData, money: SeasonMoney | None
) -> ReplayReport | None:
    """The section, or None for a season that was not replayed."""
    replay = await session.get(Replay, data.workflow.id)
    span = span_of(data.workflow)
    if replay is None or span is None:
        return None
    weeks = len(data.weeks_in)
    history = units_by_category(await history_demand(session, span), weeks)
    return ReplayReport(
        label=(
            f"Replay of the history's weeks from {span.start.isoformat()} ({weeks} of "
            f"{span.horizon} weeks): the plan's figures are what this plan would have done; "
            "history is what the stores sold."
        ),
        status=cast(ReplayStatus, replay.status),
        decisions=cast(ReplayDecisions, replay.decisions),
        decided_by=decider(replay.requested_by) if replay.decisions == "automatic" else None,
        history_from=span.start.isoformat(),
        weeks_replayed=weeks,
        lines=lines(data, history, money, weeks),
    )
