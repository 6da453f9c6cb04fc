"""A small, seeded retail world for service tests: stores, categories, weekly history.

Deliberately tiny (a dozen stores, two categories, ~2.5 years) so a whole forecast workflow
runs in seconds; the shipped sample data set is larger.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.models import Category, HistoricalSale, Store

REGIONS = ("North", "South", "East")


@dataclass(frozen=True)
class World:
    store_codes: list[str]
    category_codes: list[str]
    first_week: date
    last_week: date


async def seed_world(
    session: AsyncSession,
    *,
    stores: int = 12,
    weeks: int = 130,
    first_week: date = date(2024, 1, 1),
    seed: int = 7,
) -> World:
    rng = np.random.default_rng(seed)
    store_rows = []
    for i in range(stores):
        big = i % 3 == 0
        store_rows.append(
            Store(
                code=f"S{i + 1:03d}",
                name=f"Store {i + 1}",
                region=REGIONS[i % len(REGIONS)],
                size_sqft=int(rng.normal(24_000 if big else 9_000, 800)),
                weekly_traffic=int(rng.normal(9_000 if big else 3_000, 300)),
                format="flagship" if big else "mall",
            )
        )
    categories = [
        Category(
            code="KNIT", name="Knitwear", unit_price=59.0, price_elasticity=1.6, stock_on_hand=120
        ),
        Category(
            code="DRESS", name="Dresses", unit_price=79.0, price_elasticity=1.2, stock_on_hand=40
        ),
    ]
    session.add_all([*store_rows, *categories])
    await session.flush()
    peaks = {"KNIT": 0.0, "DRESS": 0.5}  # phase of the yearly peak: winter vs summer
    sales = []
    for store in store_rows:
        scale = store.size_sqft / 1_000
        for category in categories:
            for week in range(weeks):
                season = math.cos(2 * math.pi * (week / 52.18 - peaks[category.code]))
                mean = scale * (2.0 + 0.8 * season) * (1 + 0.002 * week)
                sales.append(
                    HistoricalSale(
                        store_id=store.id,
                        category_id=category.id,
                        week_start=first_week + timedelta(weeks=week),
                        units=int(rng.poisson(max(mean, 0.1))),
                    )
                )
    session.add_all(sales)
    return World(
        store_codes=[s.code for s in store_rows],
        category_codes=[c.code for c in categories],
        first_week=first_week,
        last_week=first_week + timedelta(weeks=weeks - 1),
    )
