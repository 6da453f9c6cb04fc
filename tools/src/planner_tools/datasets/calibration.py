"""Measure, on real weekly retail sales, the figures the sample generator is calibrated with.

The sample data set is synthetic (there is no public store x fashion-category unit series),
so its noise, trend spread and holiday peaks are taken from the real Walmart store sales in
`../shared/data/walmart_store_weekly_sales.csv` (45 stores, 143 weeks ending on Fridays,
2010-02-05 to 2012-10-26). `measure()` recomputes each figure from that file; the generator
holds the measured values as constants (`generator.WALMART`) so it needs no file to run, and a
test checks the two still agree.

What is measured, on dollar sales (the file has no units; the shapes are what we borrow):

- `noise_sd`, `noise_ar1`: a store's week-to-week deviation from the chain, after its own
  level and linear trend are removed (log scale): spread and lag-1 autocorrelation;
- `chain_shock_sd`: the chain total's week-to-week shock, from year-over-year log differences
  of weeks that no holiday moves (divided by sqrt 2: each difference holds two shocks);
- `store_trend_sd`: the spread of the stores' own yearly growth rates (log per year);
- `store_level_cv`: the coefficient of variation of the stores' mean weekly sales;
- holiday uplifts: the chain total in a holiday week over the median of the eight weeks
  ending before Thanksgiving week (late September to mid November, no holiday), averaged over
  the years in the file: Thanksgiving week (ending on Black Friday), the three weeks before
  Christmas, the week after it, and the week ending on Good Friday (Easter).
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

YEAR_WEEKS = 52


@dataclass(frozen=True)
class Calibration:
    noise_sd: float
    noise_ar1: float
    chain_shock_sd: float
    store_trend_sd: float
    store_level_cv: float
    thanksgiving_uplift: float
    christmas_uplifts: tuple[float, float, float]
    """Weeks ending 1-7, 8-14 and 15-21 days before Christmas Day (nearest first)."""
    after_christmas_uplift: float
    easter_uplift: float


def thanksgiving(year: int) -> date:
    """The fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def easter(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _read(path: Path) -> dict[int, dict[date, float]]:
    sales: dict[int, dict[date, float]] = defaultdict(dict)
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            week_end = datetime.strptime(row["Date"], "%d/%m/%y").date()
            sales[int(row["Store"])][week_end] = float(row["Weekly_Sales"])
    return sales


def _slope(ys: list[float]) -> tuple[float, float]:
    """Least-squares intercept and slope of ys against 0..n-1."""
    n = len(ys)
    x_mean = (n - 1) / 2
    y_mean = statistics.fmean(ys)
    sxx = sum((x - x_mean) ** 2 for x in range(n))
    slope = sum((x - x_mean) * (y - y_mean) for x, y in enumerate(ys)) / sxx
    return y_mean - slope * x_mean, slope


def _lag1(xs: list[float]) -> float:
    return statistics.correlation(xs[1:], xs[:-1])


def _holiday_weeks(weeks: list[date]) -> dict[date, str]:
    """Which Friday-ending weeks hold a holiday the measure names (or that it must skip)."""
    named: dict[date, str] = {}
    for week_end in weeks:
        days = {week_end - timedelta(days=k) for k in range(7)}
        to_christmas = (date(week_end.year, 12, 25) - week_end).days
        if thanksgiving(week_end.year) + timedelta(days=1) in days:
            named[week_end] = "thanksgiving"
        elif easter(week_end.year) - timedelta(days=2) in days:
            named[week_end] = "easter"
        elif -6 <= to_christmas <= 0:
            named[week_end] = "after_christmas"
        elif 1 <= to_christmas <= 21:
            named[week_end] = f"christmas_{(to_christmas - 1) // 7}"
        elif week_end.month == 1 and week_end.day <= 7:
            named[week_end] = "new_year"
    return named


def _holiday_uplifts(
    weeks: list[date], chain: list[float], holidays: dict[date, str]
) -> dict[str, list[float]]:
    """Each holiday week's chain sales over a baseline of ordinary weeks, by holiday."""
    uplifts: dict[str, list[float]] = defaultdict(list)
    index = {w: i for i, w in enumerate(weeks)}
    for week_end, name in holidays.items():
        if name == "new_year":
            continue
        if name == "easter":
            # Spring has no holiday-free stretch in common with the others: Easter is measured
            # against the non-holiday weeks around it.
            at = index[week_end]
            around = weeks[max(0, at - 6) : at + 7]
            before = [w for w in around if w not in holidays]
        else:
            # The winter holidays share one baseline, the eight weeks before Thanksgiving week
            # (no holiday, late September to mid November), so they compare to one level.
            anchor = thanksgiving(week_end.year) + timedelta(days=1)
            before = [w for w in weeks if timedelta(days=7) <= anchor - w <= timedelta(days=56)]
        if len(before) < 6:
            continue
        baseline = statistics.median(chain[index[w]] for w in before)
        uplifts[name].append(chain[index[week_end]] / baseline)
    return uplifts


def measure(path: Path) -> Calibration:
    sales = _read(path)
    weeks = sorted(next(iter(sales.values())))
    stores = sorted(sales)
    levels = {s: statistics.fmean(sales[s].values()) for s in stores}
    chain = [sum(sales[s][w] for s in stores) for w in weeks]
    chain_norm = [statistics.fmean(sales[s][w] / levels[s] for s in stores) for w in weeks]

    residuals: list[float] = []
    ar1: list[float] = []
    trends: list[float] = []
    for s in stores:
        rel = [
            math.log(sales[s][w] / levels[s] / c) for w, c in zip(weeks, chain_norm, strict=True)
        ]
        intercept, slope = _slope(rel)
        detrended = [r - intercept - slope * i for i, r in enumerate(rel)]
        residuals.extend(detrended)
        ar1.append(_lag1(detrended))
        trends.append(slope * YEAR_WEEKS)

    holidays = _holiday_weeks(weeks)
    yoy = [
        math.log(chain[i] / chain[i - YEAR_WEEKS])
        for i in range(YEAR_WEEKS, len(weeks))
        if weeks[i] not in holidays and weeks[i - YEAR_WEEKS] not in holidays
    ]

    uplifts = _holiday_uplifts(weeks, chain, holidays)

    level_values = list(levels.values())

    def mean(name: str) -> float:
        return round(statistics.fmean(uplifts[name]), 3)

    return Calibration(
        noise_sd=round(statistics.pstdev(residuals), 4),
        noise_ar1=round(statistics.median(ar1), 3),
        chain_shock_sd=round(statistics.pstdev(yoy) / math.sqrt(2), 4),
        store_trend_sd=round(statistics.pstdev(trends), 4),
        store_level_cv=round(statistics.pstdev(level_values) / statistics.fmean(level_values), 3),
        thanksgiving_uplift=mean("thanksgiving"),
        christmas_uplifts=(mean("christmas_0"), mean("christmas_1"), mean("christmas_2")),
        after_christmas_uplift=mean("after_christmas"),
        easter_uplift=mean("easter"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", type=Path, help="walmart_store_weekly_sales.csv")
    for name, value in asdict(measure(parser.parse_args().path)).items():
        print(f"{name:24} {value}")


if __name__ == "__main__":
    main()
