"""The product's sample data set: 50 fashion stores, 4 categories, 3 years of weekly sales.

    python -m planner_tools.datasets.generator --out data/sample

writes, byte for byte the same on every run (fixed seed, pure-Python random numbers drawn
in a fixed order, `\\n` line endings):

- `stores.csv`: 50 stores in 5 regions; size and weekly traffic follow the store's format
  (flagship, mall, high street, outlet);
- `categories.csv`: outerwear, knitwear, dresses, accessories, with price, markdown
  elasticity, the stock left at the DC (a few weeks of the coming season's demand), unit
  cost, salvage value and the demand's price elasticity;
- `historical_sales.csv`: units per store, category and week for the 156 weeks from Monday
  2023-03-06 to the week of 2026-02-23, with the week's selling price (`unit_price`): the
  list price, or less in the weeks of a past promotion or clearance (below);
- `season_demand.csv`: what each store would sell, with stock enough, in the 12-week spring
  season that follows, from Monday 2026-03-02 (week 1) to 2026-05-18. The weekly files a
  season uploads (`weekly_actuals_by_week/`) are this demand capped by the stock the season
  put in each store: `python -m planner_tools.datasets.season_weeks` writes them.

How a week's units are made (store s, category c, week t):

    units ~ Poisson(base_c x scale_s x climate_{region,c}
                    x exp(season_c(t) + trend_c,s(t) + holiday_c(t) + shock_c(t) + noise_s,c(t))
                    x drift_c(t))

- `season_c`: a smooth yearly curve peaking where the category sells (outerwear in December,
  knitwear in late November, dresses at the start of June, accessories barely seasonal); the
  weather-driven categories swing wider in cold regions and sell more of the winter ones;
- `trend`: a yearly growth per category (dresses and accessories growing, knitwear
  shrinking) plus each store's own growth, spread as much as real stores' growth is;
- `holiday`: Thanksgiving week, the three weeks before Christmas, the week after it and
  Easter, with the uplifts measured on real store sales, scaled by how much each category is
  bought as a gift (accessories most, dresses least; dresses lead at Easter);
- `shock`: a chain-wide weekly shock per category (weather, promotions); `noise`: a store's
  own persistent deviation (AR(1)); Poisson sampling turns expected units into whole units;
- `scale_s`: the store's traffic and size, its format's conversion, its region's demand and
  a store effect, tuned so stores differ as much as real stores do.

The noise (spread and persistence), the chain shock, the spread of store growth and of store
size, and the holiday uplifts are measured on real weekly sales of 45 Walmart stores
(`WALMART`, from `planner_tools.datasets.calibration` run on
`../shared/data/walmart_store_weekly_sales.csv`); the fashion-specific shapes (peaks, swings,
gift shares, prices, elasticities) are stated assumptions, set in `CATEGORIES` and `REGIONS`.

Past prices, so that the demand's price elasticity can be estimated from the history
(docs/markdown.md): a separate random stream (`PRICE_SEED`, so every other draw is the same as
without prices) marks a category down in a few stores (`TAKING_PART`, one in ten) for a week
or two: promotions of 10-30 % in a fifth of the category-weeks, and clearance of 30-40 % for
two weeks five weeks past the category's selling peak. A store-week at price p sells
(p / list price) ** demand_elasticity times its expected units: the category's
`demand_elasticity` is the truth an estimate must recover. Prices never move in February to
May (the spring weeks the season is forecast on) nor in the 16 weeks before the season (the
level a forecast leans on most), and only a tenth of the stores take part, so the chain's
weekly totals the forecasts fit move little.

The in-season drift, to demonstrate the re-forecast: a late cold snap hits in week 4 of the
season (2026-03-23). Outerwear sells 2.8x its expected week and knitwear 2.4x, dresses 0.6x;
the effect fades over weeks 5-8. Weeks 1-3 follow the history's own process, so the
cumulative variance (|actual - forecast| / forecast over the weeks so far) stays under 10%
through week 3 and jumps past the 20% threshold in week 4: +43% for outerwear and +29% for
knitwear against the drift-free expectation (+40% and +29% against the forecast service's
ensemble fitted on the history, which is within 12% for every category in weeks 1-3). The
total over all categories moves only about 5%: the rule fires on the categories.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from planner_tools.datasets.calibration import Calibration, easter, thanksgiving

SEED = 20260302
# The past prices' own random stream (see the module docstring).
PRICE_SEED = 20230306
# Prices move only in history weeks before this one (the last weeks before the season stay at
# list price, the weeks a forecast's level leans on most) ...
PRICE_WEEKS = 140
# ... and never in these months, around the spring weeks the season is forecast on.
QUIET_MONTHS = frozenset({2, 3, 4, 5})
PROMOTION_ODDS = 0.2
PROMOTION_DEPTHS = (0.10, 0.15, 0.20, 0.25, 0.30)
CLEARANCE_DEPTHS = (0.30, 0.35, 0.40)
CLEARANCE_WEEKS = 2
# The share of stores a promotion or clearance runs in: few enough that the chain's weekly
# totals, which the forecasts fit, move little.
TAKING_PART = 0.1
HISTORY_START = date(2023, 3, 6)
HISTORY_WEEKS = 156
SEASON_START = HISTORY_START + timedelta(weeks=HISTORY_WEEKS)
SEASON_WEEKS = 12
DRIFT_WEEK = 4
_YEAR_DAYS = 365.2425

WALMART = Calibration(
    noise_sd=0.0719,
    noise_ar1=0.51,
    chain_shock_sd=0.0208,
    store_trend_sd=0.053,
    store_level_cv=0.516,
    thanksgiving_uplift=1.464,
    christmas_uplifts=(1.747, 1.348, 1.23),
    after_christmas_uplift=0.955,
    easter_uplift=1.114,
)
"""Measured by `calibration.measure` on the Walmart file; a test keeps the two in step."""

# A single fashion category swings more from week to week than a whole general-merchandise
# store, where groceries damp the total: its chain shock is taken at twice Walmart's.
CATEGORY_SHOCK_FACTOR = 2.0
# Store effect left once traffic, size, format and region are accounted for; with it the
# stores' mean weekly units vary about as much as Walmart's stores do (see WALMART).
STORE_EFFECT_SD = 0.22


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    unit_price: float
    price_elasticity: float
    unit_cost: float
    """What a unit costs the retailer (landed)."""
    salvage_value: float
    """What an unsold unit fetches at the end-of-season clearance."""
    demand_elasticity: float
    """The demand's price elasticity: -2 sells 2 % more for each 1 % off the price."""
    base_units: float
    """Mean weekly units of an average store at the middle of the seasonal curve."""
    peak: date
    """The day of the year (any year) the category sells best."""
    swing: float
    """Half the log distance between the seasonal peak and trough."""
    sharpness: float
    """Weight of the second harmonic: a shorter, steeper selling season."""
    cold_weather: float
    """+1 sells with cold weather, -1 with warm, 0 indifferent."""
    yearly_trend: float
    gift_share: float
    """How strongly the winter holidays lift it, as a multiple of the measured uplift."""
    easter_share: float
    cover_weeks: float
    """Stock on hand at the DC, in weeks of the coming season's expected demand."""
    drift: tuple[float, ...]
    """Multiplier of expected units in season weeks DRIFT_WEEK, DRIFT_WEEK + 1, ..."""


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        code="OUTW",
        name="Outerwear",
        unit_price=189.00,
        price_elasticity=1.6,
        unit_cost=76.00,
        salvage_value=38.00,
        demand_elasticity=-1.6,
        base_units=16.0,
        peak=date(2000, 12, 10),
        swing=0.85,
        sharpness=0.15,
        cold_weather=1.0,
        yearly_trend=0.02,
        gift_share=0.7,
        easter_share=0.3,
        cover_weeks=2.0,
        drift=(2.8, 1.7, 1.35, 1.15, 1.05),
    ),
    CategorySpec(
        code="KNIT",
        name="Knitwear",
        unit_price=69.00,
        price_elasticity=1.4,
        unit_cost=26.00,
        salvage_value=14.00,
        demand_elasticity=-1.8,
        base_units=22.0,
        peak=date(2000, 11, 25),
        swing=0.65,
        sharpness=0.10,
        cold_weather=0.8,
        yearly_trend=-0.03,
        gift_share=1.0,
        easter_share=0.4,
        cover_weeks=1.5,
        drift=(2.4, 1.5, 1.2, 1.05),
    ),
    CategorySpec(
        code="DRES",
        name="Dresses",
        unit_price=79.00,
        price_elasticity=1.2,
        unit_cost=30.00,
        salvage_value=16.00,
        demand_elasticity=-2.2,
        base_units=30.0,
        peak=date(2000, 6, 1),
        swing=0.55,
        sharpness=0.10,
        cold_weather=-0.6,
        yearly_trend=0.05,
        gift_share=0.4,
        easter_share=1.5,
        cover_weeks=0.5,
        drift=(0.6, 0.75, 0.9),
    ),
    CategorySpec(
        code="ACCS",
        name="Accessories",
        unit_price=29.00,
        price_elasticity=1.0,
        unit_cost=9.00,
        salvage_value=5.00,
        demand_elasticity=-1.3,
        base_units=40.0,
        peak=date(2000, 12, 15),
        swing=0.12,
        sharpness=0.0,
        cold_weather=0.0,
        yearly_trend=0.04,
        gift_share=1.3,
        easter_share=0.6,
        cover_weeks=3.0,
        drift=(),
    ),
)


@dataclass(frozen=True)
class RegionSpec:
    name: str
    climate: float
    """+1 cold winters, -1 mild: widens or narrows the weather categories' seasons."""
    demand: float
    cities: tuple[str, ...]


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec("Northeast", 1.0, 1.10, (
        "New York", "Boston", "Philadelphia", "Pittsburgh", "Hartford", "Providence",
        "Newark", "Buffalo", "Albany", "Burlington", "Syracuse",
    )),
    RegionSpec("Midwest", 0.9, 0.95, (
        "Chicago", "Detroit", "Minneapolis", "Columbus", "Milwaukee", "Indianapolis",
        "St. Louis", "Kansas City", "Cleveland", "Cincinnati",
    )),
    RegionSpec("West", 0.1, 1.05, (
        "Los Angeles", "San Francisco", "Seattle", "Portland", "San Diego", "Sacramento",
        "San Jose", "Denver", "Salt Lake City", "Oakland", "Boise",
    )),
    RegionSpec("Southeast", -0.8, 0.95, (
        "Atlanta", "Miami", "Orlando", "Charlotte", "Nashville", "Tampa", "Raleigh",
        "Charleston", "Jacksonville",
    )),
    RegionSpec("Southwest", -0.7, 0.90, (
        "Dallas", "Houston", "Phoenix", "Austin", "San Antonio", "Albuquerque", "Las Vegas",
        "Tucson", "El Paso",
    )),
)  # fmt: skip


@dataclass(frozen=True)
class FormatSpec:
    name: str
    label: str
    size_sqft: float
    traffic: float
    spread: float
    conversion: float
    """Units bought per visitor, relative to a mall store (outlets sell more per visit)."""
    odds: float


FORMATS: tuple[FormatSpec, ...] = (
    FormatSpec("flagship", "Flagship", 22_000, 30_000, 0.12, 1.00, 0.0),
    FormatSpec("mall", "Mall", 9_000, 13_000, 0.22, 1.00, 0.45),
    FormatSpec("high_street", "Downtown", 6_000, 10_000, 0.22, 1.05, 0.35),
    FormatSpec("outlet", "Outlet", 12_000, 6_500, 0.18, 1.25, 0.20),
)


@dataclass(frozen=True)
class Store:
    code: str
    name: str
    region: RegionSpec
    format: FormatSpec
    size_sqft: int
    weekly_traffic: int
    scale: float
    trend: float


@dataclass
class SampleData:
    stores: list[Store]
    history: list[tuple[str, str, date, int, float]] = field(default_factory=list)
    """(store, category, Monday, units, the week's selling price)."""
    actuals: list[tuple[str, str, int, date, int]] = field(default_factory=list)
    expected_season: dict[str, list[float]] = field(default_factory=dict)
    """Chain-wide expected units per category and season week, without the drift."""


class _Random:
    """Normal and Poisson draws built on `random.random()`, the one stream whose values
    Python promises not to change between versions; each draw takes a fixed number of
    uniforms, so changing one expectation never shifts the draws after it."""

    def __init__(self, seed: int) -> None:
        self._uniform = random.Random(seed).random

    def uniform(self) -> float:
        return self._uniform()

    def normal(self, sd: float = 1.0) -> float:
        u1, u2 = 1.0 - self._uniform(), self._uniform()
        return sd * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def choice(self, weights: Sequence[float]) -> int:
        point = self._uniform() * sum(weights)
        for index, weight in enumerate(weights):
            point -= weight
            if point < 0:
                return index
        return len(weights) - 1

    def poisson(self, mean: float) -> int:
        u1, u2 = 1.0 - self._uniform(), self._uniform()
        if mean >= 50:
            z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
            return max(0, round(mean + math.sqrt(mean) * z))
        # Inverse of the cumulative distribution: exact for the small counts of small stores.
        k, term = 0, math.exp(-mean)
        total = term
        while u2 > total and k < 1000:
            k += 1
            term *= mean / k
            total += term
        return k


def week_start(week: int) -> date:
    """Monday of history week `week` (0-based); season week n is week HISTORY_WEEKS + n - 1."""
    return HISTORY_START + timedelta(weeks=week)


def _season_curve(spec: CategorySpec, day: date, climate: float) -> float:
    peak = date(day.year, spec.peak.month, spec.peak.day)
    angle = 2.0 * math.pi * ((day - peak).days / _YEAR_DAYS)
    # Cold winters widen the weather categories' swing; warm regions still wear dresses in
    # March, so their dress season is flatter too.
    swing = spec.swing * (1.0 + 0.25 * climate * abs(spec.cold_weather))
    return swing * (math.cos(angle) + spec.sharpness * math.cos(2.0 * angle))


def _friday_week_uplift(week_end: date, calibration: Calibration) -> tuple[float, float]:
    """(winter holiday, Easter) uplift of the Saturday-to-Friday week ending `week_end`,
    the week the uplifts were measured on."""
    days = {week_end - timedelta(days=k) for k in range(7)}
    to_christmas = (date(week_end.year, 12, 25) - week_end).days
    if thanksgiving(week_end.year) + timedelta(days=1) in days:
        return calibration.thanksgiving_uplift, 1.0
    if easter(week_end.year) - timedelta(days=2) in days:
        return 1.0, calibration.easter_uplift
    if -6 <= to_christmas <= 0:
        return calibration.after_christmas_uplift, 1.0
    if 1 <= to_christmas <= 21:
        return calibration.christmas_uplifts[(to_christmas - 1) // 7], 1.0
    return 1.0, 1.0


def holiday_effect(monday: date, spec: CategorySpec, calibration: Calibration = WALMART) -> float:
    """Log uplift of a Monday-to-Sunday week: each day takes the uplift of the measured
    Saturday-to-Friday week holding it, and the week averages its days."""
    total = 0.0
    for offset in range(7):
        day = monday + timedelta(days=offset)
        week_end = day + timedelta(days=(4 - day.weekday()) % 7)
        winter, spring = _friday_week_uplift(week_end, calibration)
        total += spec.gift_share * math.log(winter) + spec.easter_share * math.log(spring)
    return total / 7.0


def _stores(rng: _Random) -> list[Store]:
    stores: list[Store] = []
    for region in REGIONS:
        for position, city in enumerate(region.cities):
            # The first (largest) city of each region holds its flagship.
            fmt = FORMATS[0] if position == 0 else FORMATS[rng.choice([f.odds for f in FORMATS])]
            size = fmt.size_sqft * math.exp(rng.normal(fmt.spread))
            traffic = fmt.traffic * math.exp(rng.normal(fmt.spread))
            size_sqft = int(round(size / 50.0) * 50)
            weekly_traffic = int(round(traffic / 10.0) * 10)
            scale = (
                (weekly_traffic / 12_000) ** 0.6
                * (size_sqft / 9_000) ** 0.4
                * fmt.conversion
                * region.demand
                * math.exp(rng.normal(STORE_EFFECT_SD))
            )
            trend = rng.normal(WALMART.store_trend_sd)
            code = f"S{len(stores) + 1:03d}"
            stores.append(
                Store(code, f"{city} {fmt.label}", region, fmt, size_sqft, weekly_traffic, scale,
                      trend)
            )  # fmt: skip
    return stores


PriceCuts = dict[tuple[int, str, str], float]
"""(history week, category, store) -> fraction off the list price; absent: list price."""


def _clearance_start(spec: CategorySpec, week: int) -> bool:
    """The week clearance of a category starts: five weeks past its selling peak."""
    monday = week_start(week)
    peak = date(monday.year, spec.peak.month, spec.peak.day)
    offset = (monday - peak).days % 365
    return 35 <= offset < 42


def price_cuts(stores: Sequence[Store], seed: int = PRICE_SEED) -> PriceCuts:
    """The history's promotions and clearances. Every category-week draws the same number of
    uniforms, whether it is marked down or not, so one odds never shifts the others."""
    rng = _Random(seed)
    cuts: PriceCuts = {}
    for week in range(PRICE_WEEKS):
        quiet = week_start(week).month in QUIET_MONTHS
        for spec in CATEGORIES:
            promoted = rng.uniform() < PROMOTION_ODDS
            depth = PROMOTION_DEPTHS[rng.choice([1.0] * len(PROMOTION_DEPTHS))]
            cleared = CLEARANCE_DEPTHS[rng.choice([1.0] * len(CLEARANCE_DEPTHS))]
            taking_part = [rng.uniform() < TAKING_PART for _ in stores]
            if quiet:
                continue
            if _clearance_start(spec, week):
                for later in range(week, min(week + CLEARANCE_WEEKS, PRICE_WEEKS)):
                    for store, joins in zip(stores, taking_part, strict=True):
                        if joins and week_start(later).month not in QUIET_MONTHS:
                            cuts[(later, spec.code, store.code)] = cleared
            elif promoted:
                for store, joins in zip(stores, taking_part, strict=True):
                    if joins:
                        cuts.setdefault((week, spec.code, store.code), depth)
    return cuts


def selling_price(spec: CategorySpec, cut: float) -> float:
    return round(spec.unit_price * (1.0 - cut), 2)


def generate(seed: int = SEED, calibration: Calibration = WALMART) -> SampleData:
    rng = _Random(seed)
    stores = _stores(rng)
    data = SampleData(stores)
    cuts = price_cuts(stores)
    weeks = HISTORY_WEEKS + SEASON_WEEKS
    shock_sd = calibration.chain_shock_sd * CATEGORY_SHOCK_FACTOR
    innovation_sd = calibration.noise_sd * math.sqrt(1.0 - calibration.noise_ar1**2)
    noise = {(s.code, c.code): rng.normal(calibration.noise_sd) for s in stores for c in CATEGORIES}
    data.expected_season = {c.code: [0.0] * SEASON_WEEKS for c in CATEGORIES}
    for week in range(weeks):
        monday = week_start(week)
        mid_week = monday + timedelta(days=3)
        years = week * 7 / _YEAR_DAYS
        season_week = week - HISTORY_WEEKS + 1
        for category in CATEGORIES:
            shock = rng.normal(shock_sd)
            holiday = holiday_effect(monday, category, calibration)
            drift_at = season_week - DRIFT_WEEK
            drift = category.drift[drift_at] if 0 <= drift_at < len(category.drift) else 1.0
            for store in stores:
                key = (store.code, category.code)
                noise[key] = calibration.noise_ar1 * noise[key] + rng.normal(innovation_sd)
                climate = store.region.climate
                expected = (
                    category.base_units
                    * store.scale
                    * math.exp(0.3 * climate * category.cold_weather)
                    * math.exp(
                        _season_curve(category, mid_week, climate)
                        + (category.yearly_trend + store.trend) * years
                        + holiday
                    )
                )
                price = selling_price(category, cuts.get((week, category.code, store.code), 0.0))
                response = (price / category.unit_price) ** category.demand_elasticity
                units = rng.poisson(expected * math.exp(shock + noise[key]) * drift * response)
                if season_week < 1:
                    data.history.append((store.code, category.code, monday, units, price))
                else:
                    data.expected_season[category.code][season_week - 1] += expected
                    data.actuals.append((store.code, category.code, season_week, monday, units))
    data.history.sort()
    data.actuals.sort(key=lambda r: (r[2], r[0], r[1]))
    return data


def stock_on_hand(data: SampleData, spec: CategorySpec) -> int:
    """DC stock: `cover_weeks` of the season's mean expected weekly demand, to the nearest 10."""
    weekly = sum(data.expected_season[spec.code]) / SEASON_WEEKS
    return int(round(spec.cover_weeks * weekly / 10.0) * 10)


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


DEMAND_FILE = "season_demand.csv"


def write_sample(out: Path, seed: int = SEED) -> dict[str, int]:
    """Write every file of the sample data set under `out`; rows written per file."""
    data = generate(seed)
    counts = {
        "stores.csv": _write(
            out / "stores.csv",
            ("store_code", "name", "region", "size_sqft", "weekly_traffic", "format"),
            (
                (s.code, s.name, s.region.name, s.size_sqft, s.weekly_traffic, s.format.name)
                for s in data.stores
            ),
        ),
        "categories.csv": _write(
            out / "categories.csv",
            (
                "category_code",
                "name",
                "unit_price",
                "price_elasticity",
                "stock_on_hand",
                "unit_cost",
                "salvage_value",
                "demand_elasticity",
            ),
            (
                (
                    c.code,
                    c.name,
                    f"{c.unit_price:.2f}",
                    f"{c.price_elasticity:.3f}",
                    stock_on_hand(data, c),
                    f"{c.unit_cost:.2f}",
                    f"{c.salvage_value:.2f}",
                    f"{c.demand_elasticity:.3f}",
                )
                for c in CATEGORIES
            ),
        ),
        "historical_sales.csv": _write(
            out / "historical_sales.csv",
            ("store_code", "category_code", "week_start", "units", "unit_price"),
            ((s, c, w.isoformat(), u, f"{p:.2f}") for s, c, w, u, p in data.history),
        ),
    }
    # What each store would sell with stock enough; the weeks a season uploads are this capped
    # by what the season put in the store (planner_shared.stock.sample, `season_weeks`).
    counts[DEMAND_FILE] = _write(
        out / DEMAND_FILE,
        ("store_code", "category_code", "week_number", "week_start", "units_sold"),
        ((s, c, n, w.isoformat(), u) for s, c, n, w, u in data.actuals),
    )
    return counts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the sample data set (fixed seed).")
    parser.add_argument("--out", type=Path, default=Path("data/sample"), help="target folder")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed ({SEED})")
    args = parser.parse_args(argv)
    for name, rows in write_sample(args.out, args.seed).items():
        path = args.out / name
        print(f"{path}  {rows:>6} rows  {path.stat().st_size:>9,} bytes")


if __name__ == "__main__":
    main()
