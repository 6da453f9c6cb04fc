"""The season report and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import season_figures as fig
from planner_gateway.charts import run_marks
from planner_gateway.report_replay import replay_section
from planner_gateway.repository import approvals
from planner_gateway.schemas.charts import TOTAL
from planner_gateway.schemas.report import (
    CategoryOutcome,
    CheckpointLine,
    DecisionLine,
    ReforecastLine,
    SeasonReport,
)
from planner_gateway.schemas.resources import ApprovalRead
from planner_gateway.season_data import SeasonData, load
from planner_gateway.stock import season_money
from planner_shared.db.models import VarianceCheck, WorkflowEvent
from planner_shared.events import SellThroughComputedPayload
from planner_shared.markdown import categories_behind

UNITS = {"manufacturing": "units", "markdown": "percent"}


def _outcome(
    data: SeasonData, key: str, available: dict[str, float] | None = None
) -> CategoryOutcome:
    codes = data.codes if key == TOTAL else [key]
    pairs: list[tuple[float, float]] = []
    actual = 0.0
    final: float | None = None
    latest = data.runs[-1] if data.runs else None
    if latest is not None:
        final = 0.0
    for week in range(1, data.horizon + 1):
        run = fig.in_force(data.runs, week)
        sold = [data.actuals[c][week] for c in codes if week in data.actuals.get(c, {})]
        forecast = [
            run.weeks[c][week] for c in codes if run is not None and week in run.weeks.get(c, {})
        ]
        if sold:
            actual += sum(sold)
            if forecast:
                pairs.append((sum(b.point for b in forecast), sum(sold)))
        if final is not None:
            final += sum(sold) if sold else sum(b.point for b in forecast)
    planned = None
    if data.runs:
        first = data.runs[0]
        planned = sum(b.point for c in codes for b in first.weeks.get(c, {}).values())
    accuracy = fig.accuracy(pairs)
    manufactured = data.manufactured_total if key == TOTAL else data.manufactured.get(key)
    recommended = (
        (sum(data.recommended.values()) if data.recommended else None)
        if key == TOTAL
        else data.recommended.get(key)
    )
    return CategoryOutcome(
        category_code=key,
        category_name="All categories" if key == TOTAL else data.names.get(key, key),
        planned_units=None if planned is None else round(planned, 1),
        final_forecast_units=None if final is None else round(final, 1),
        recommended_units=recommended,
        manufactured_units=manufactured,
        actual_units=actual,
        weeks_in=len(data.weeks_in),
        sell_through_fraction=_sell_through(actual, codes, manufactured, available),
        wape_fraction=None if accuracy.wape is None else round(accuracy.wape, 4),
        bias_fraction=None if accuracy.bias is None else round(accuracy.bias, 4),
    )


def _sell_through(
    sold: float, codes: list[str], manufactured: int | None, available: dict[str, float] | None
) -> float | None:
    """Sold over what the season held: the ledger's units available once it exists."""
    held = sum(available.get(c, 0.0) for c in codes) if available else manufactured
    return round(sold / held, 4) if held else None


def checkpoint_note(
    week: int,
    sell_through: float,
    target: float,
    below: bool,
    by_category: Mapping[str, float] | None = None,
) -> str:
    """The checkpoint in words; it fires for the season's total or any category behind."""
    behind = categories_behind(by_category or {}, target)
    if below:
        outcome = "below the target: markdown proposed"
    elif behind:
        late = ", ".join(f"{code} at {value * 100:.1f} %" for code, value in behind)
        outcome = f"on target overall, {late} behind: markdown proposed by category"
    else:
        outcome = "no markdown"
    return (
        f"checkpoint week {week}: {sell_through * 100:.1f} % against {target * 100:.0f} %, "
        f"{outcome}"
    )


async def _checkpoint(session: AsyncSession, workflow_id: UUID) -> CheckpointLine | None:
    """The newest `sell_through.computed` relayed for the season: the checkpoint's trace."""
    event = await session.scalar(
        select(WorkflowEvent)
        .where(
            WorkflowEvent.workflow_id == workflow_id,
            WorkflowEvent.type == "sell_through.computed",
        )
        .order_by(WorkflowEvent.seq.desc())
        .limit(1)
    )
    if event is None:
        return None
    p = SellThroughComputedPayload.model_validate(event.envelope["payload"])
    return CheckpointLine(
        week_number=p.week_number,
        sell_through_fraction=p.sell_through,
        target_sell_through_fraction=p.target,
        below_target=p.below_target,
        at=event.occurred_at,
        note=checkpoint_note(
            p.week_number, p.sell_through, p.target, p.below_target, p.by_category
        ),
    )


def _decision_line(a: ApprovalRead) -> DecisionLine:
    """One approval as the report lists it (the approval's own fields), with the unit its
    values are in."""
    unit = "percent" if UNITS.get(a.kind) == "percent" else "units"
    shared = a.model_dump(include=set(DecisionLine.model_fields) - {"unit"})
    return DecisionLine.model_validate(shared | {"unit": unit})


async def season_report(session: AsyncSession, workflow_id: UUID) -> SeasonReport:
    data = await load(session, workflow_id)
    money = await season_money(session, workflow_id)
    available = (
        {
            c.category_code: c.units_sold / c.sell_through_fraction
            for c in money.actual.by_category
            if c.sell_through_fraction
        }
        if money is not None
        else None
    )
    w = data.workflow
    over = await session.scalars(
        select(VarianceCheck.week_number)
        .where(VarianceCheck.workflow_id == workflow_id, VarianceCheck.exceeded.is_(True))
        .order_by(VarianceCheck.week_number)
    )
    return SeasonReport(
        workflow_id=w.id,
        name=w.name,
        state=w.state,
        created_by=w.created_by,
        created_at=w.created_at,
        completed_at=w.completed_at,
        parameters=w.parameters,
        horizon_weeks=data.horizon,
        weeks_in=len(data.weeks_in),
        categories=[_outcome(data, TOTAL, available)]
        + [_outcome(data, c, available) for c in data.codes],
        decisions=[_decision_line(a) for a in await approvals(session, workflow_id)],
        forecast_runs=[ReforecastLine.model_validate(m.model_dump()) for m in run_marks(data)],
        weeks_over_threshold=list(over),
        money=money,
        checkpoint=await _checkpoint(session, workflow_id),
        replay=await replay_section(session, data, money),
    )


CSV_COLUMNS = ("section", "item", "metric", "value", "unit", "by", "at", "note")
_CATEGORY_METRICS = (
    ("planned_units", "units"),
    ("final_forecast_units", "units"),
    ("recommended_units", "units"),
    ("manufactured_units", "units"),
    ("actual_units", "units"),
    ("sell_through_fraction", "fraction"),
    ("wape_fraction", "fraction"),
    ("bias_fraction", "fraction"),
)


_MONEY_METRICS = (
    ("units_sold", "units"),
    ("lost_sales", "units"),
    ("leftover_units", "units"),
    ("revenue", "currency"),
    ("gross_margin", "currency"),
    ("markdown_cost", "currency"),
    ("leftover_value", "currency"),
    ("season_margin", "currency"),
    ("gmroi", "ratio"),
)


Row = tuple[object, ...]


def _row(
    section: str,
    item: object,
    metric: str,
    value: object,
    unit: str = "",
    *,
    by: str = "",
    at: datetime | None = None,
    note: str = "",
) -> Row:
    """One row of the long table; a missing value is an empty cell."""
    when = at.isoformat() if at else ""
    return (section, item, metric, "" if value is None else value, unit, by, when, note)


def _season_rows(report: SeasonReport) -> Iterator[Row]:
    yield _row(
        "season",
        str(report.workflow_id),
        "state",
        report.state,
        by=report.created_by,
        at=report.created_at,
    )
    for name, value in (report.parameters or {}).items():
        yield _row("parameter", name, "value", value)
    for c in report.categories:
        for metric, unit in _CATEGORY_METRICS:
            yield _row("category", c.category_code, metric, getattr(c, metric), unit)


def _money_rows(report: SeasonReport) -> Iterator[Row]:
    if report.money is None:
        return
    for period in ("planned", "actual", "projected"):
        figures = getattr(report.money, period)
        for line in (figures.total, *figures.by_category):
            for metric, unit in _MONEY_METRICS:
                value = getattr(line, metric)
                yield _row("money", line.category_code, f"{period}_{metric}", value, unit)


def _event_rows(report: SeasonReport) -> Iterator[Row]:
    """Re-forecasts, the markdown checkpoint and the decisions: each with when and why."""
    for r in report.forecast_runs:
        note = f"{r.reason} after week {r.after_week}"
        yield _row(
            "forecast_run",
            r.run_number,
            "season_total",
            r.season_total,
            "units",
            at=r.created_at,
            note=note,
        )
    if (c := report.checkpoint) is not None:
        yield _row(
            "checkpoint",
            c.week_number,
            "sell_through_fraction",
            c.sell_through_fraction,
            "fraction",
            at=c.at,
            note=c.note,
        )
    for d in report.decisions:
        yield from _decision_rows(d)


def _decision_rows(d: DecisionLine) -> Iterator[Row]:
    yield _row("decision", d.kind, "proposed_value", d.proposed_value, d.unit)
    note = f"{d.action or d.status}{': ' + d.reason if d.reason else ''}"
    by = d.decided_by or ""
    yield _row(
        "decision",
        d.kind,
        "decided_value",
        d.decided_value,
        d.unit,
        by=by,
        at=d.decided_at,
        note=note,
    )
    # Per category, as decided: a raised line is that category's, never spread pro rata.
    for code, units in sorted(d.decided_lines.items()):
        proposed = d.proposed_lines.get(code)
        line_note = "" if proposed is None else f"proposed {proposed:g}"
        yield _row(
            "decision_line",
            f"{d.kind} {code}",
            "decided_value",
            units,
            d.unit,
            by=by,
            at=d.decided_at,
            note=line_note,
        )


_REPLAY_METRICS = (
    ("planned_units", "units"),
    ("bought_units", "units"),
    ("history_units", "units"),
    ("sold_units", "units"),
    ("lost_sales_units", "units"),
    ("fill_fraction", "fraction"),
    ("revenue", "currency"),
    ("gross_margin", "currency"),
    ("history_revenue_at_full_price", "currency"),
)


def _replay_rows(report: SeasonReport) -> Iterator[Row]:
    """The replay's figures, each row's note saying they are the replay's."""
    if report.replay is None:
        return
    note = f"replay of the history from {report.replay.history_from}"
    for line in report.replay.lines:
        for metric, unit in _REPLAY_METRICS:
            yield _row("replay", line.category_code, metric, getattr(line, metric), unit, note=note)


def _rows(report: SeasonReport) -> Iterator[Row]:
    yield from _season_rows(report)
    yield from _money_rows(report)
    yield from _replay_rows(report)
    yield from _event_rows(report)


# A spreadsheet runs a cell starting with = + - @ as a formula, and one starting with a tab or
# a carriage return once it has stripped that (OWASP's list): a reason must stay text.
FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def report_csv(report: SeasonReport) -> str:
    """The report as one long table: a spreadsheet can pivot it, a script can filter it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(tuple(_cell(v) for v in row) for row in _rows(report))
    return out.getvalue()
