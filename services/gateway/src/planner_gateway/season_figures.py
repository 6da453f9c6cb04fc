"""The arithmetic behind the console's charts and report, free of the database.

- The forecast *in force* for a week is the newest run fitted before that week was in (a
  re-forecast after week k covers weeks k+1 onwards); that is what the week's variance check
  compared, and what accuracy is measured against.
- Accuracy over the weeks in: WAPE = sum |actual - forecast| / sum actual, bias =
  (sum forecast - sum actual) / sum actual (above 0 the forecast ran high). Both fractions.
- Sell-through by week: units sold so far over the units manufactured (stores and DC), as the
  forecast service computes it at the checkpoint.
- A markdown's projected effect is computed on the stock ledger (planner_shared.stock.outlook).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    point: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


@dataclass(frozen=True)
class Run:
    run_number: int
    weeks_elapsed: int
    weeks: Mapping[str, Mapping[int, Band]]  # category code -> week -> band


def in_force(runs: Sequence[Run], week: int) -> Run | None:
    """The newest run fitted before `week` was in that forecasts it."""
    best: Run | None = None
    for run in runs:
        covers = run.weeks_elapsed < week and any(week in w for w in run.weeks.values())
        if covers and (best is None or run.run_number > best.run_number):
            best = run
    return best


def total_band(run: Run, week: int) -> Band | None:
    bands = [w[week] for w in run.weeks.values() if week in w]
    if not bands:
        return None
    # Bands of a sum are not the sum of bands; summing them is the conservative (wider) reading.
    return Band(
        point=sum(b.point for b in bands),
        lower_80=sum(b.lower_80 for b in bands),
        upper_80=sum(b.upper_80 for b in bands),
        lower_95=sum(b.lower_95 for b in bands),
        upper_95=sum(b.upper_95 for b in bands),
    )


@dataclass
class AccuracyFigures:
    weeks: int = 0
    forecast: float = 0.0
    actual: float = 0.0
    absolute_error: float = 0.0

    def add(self, forecast: float, actual: float) -> None:
        self.weeks += 1
        self.forecast += forecast
        self.actual += actual
        self.absolute_error += abs(actual - forecast)

    @property
    def wape(self) -> float | None:
        return self.absolute_error / self.actual if self.actual > 0 else None

    @property
    def bias(self) -> float | None:
        return (self.forecast - self.actual) / self.actual if self.actual > 0 else None


def accuracy(pairs: Sequence[tuple[float, float]]) -> AccuracyFigures:
    """Accuracy of (forecast, actual) pairs."""
    figures = AccuracyFigures()
    for forecast, actual in pairs:
        figures.add(forecast, actual)
    return figures


def sell_through_by_week(
    actual_by_week: Mapping[int, float], manufactured: int | None, horizon: int
) -> dict[int, float | None]:
    result: dict[int, float | None] = {}
    sold = 0.0
    for week in range(1, horizon + 1):
        if week not in actual_by_week:
            result[week] = None
            continue
        sold += actual_by_week[week]
        result[week] = sold / manufactured if manufactured else None
    return result


def dc_balance(
    holdback: Mapping[str, int], shipped: Mapping[str, Mapping[int, int]], horizon: int
) -> list[tuple[int, int, dict[str, int]]]:
    """(week, shipped that week, left at the DC per category) for weeks 1..horizon."""
    left = dict(holdback)
    rows = []
    for week in range(1, horizon + 1):
        sent = 0
        for code in left:
            units = shipped.get(code, {}).get(week, 0)
            left[code] -= units
            sent += units
        rows.append((week, sent, dict(sorted(left.items()))))
    return rows
