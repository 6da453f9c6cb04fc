"""The buy on the sample: the forecast service's first run, then each category's newsvendor
order beside the safety-stock rule it replaces (docs/decisions.md takes its figures from here).

    .venv/bin/python scripts/buy_example.py [--server postgresql+asyncpg://postgres@127.0.0.1:5432]

Makes a throwaway database, loads data/sample into it, forecasts the sample season (12 weeks
from 2026-03-02, as the README's) with the forecast service's own code, prints the table and
drops the database. Takes a minute or two (the forecast fits).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from planner_forecast.season import fit, load_inputs, store_forecast
from planner_forecast.settings import ForecastSettings
from planner_shared.buy import Economics, SeasonDemand, evaluate
from planner_shared.datasets.seed import seed
from planner_shared.db.engine import create_engine, create_sessionmaker, transaction
from planner_shared.db.models import Category, Workflow
from planner_shared.events import (
    ForecastCompletedPayload,
    ForecastRequested,
    ForecastRequestedPayload,
)
from planner_shared.parameters import SeasonParameters
from planner_tools.testing.database import create_database, drop_database, migrate

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS = SeasonParameters(
    forecast_horizon_weeks=12,
    season_start_date=date(2026, 3, 2),
    replenishment_strategy="weekly",
    dc_holdback_percentage=45,
    markdown_checkpoint_week=6,
    markdown_threshold=0.6,
)


async def _quiet(message: str, fraction: float | None) -> None:
    return None


async def forecast_sample(database_url: str) -> tuple[ForecastCompletedPayload, list[Category]]:
    await seed(database_url, ROOT / "data" / "sample")
    engine = create_engine(database_url, pool_size=2)
    sessions = create_sessionmaker(engine)
    try:
        workflow_id = uuid4()
        async with transaction(sessions) as session:
            session.add(
                Workflow(
                    id=workflow_id,
                    state="forecasting",
                    created_by="buy_example",
                    context={},
                    parameters=PARAMETERS.model_dump(mode="json"),
                )
            )
        event = ForecastRequested(
            workflow_id=workflow_id,
            producer="agents",
            payload=ForecastRequestedPayload(parameters=PARAMETERS, run_number=1, reason="initial"),
        )
        settings = ForecastSettings()
        async with sessions() as session:
            inputs = await load_inputs(session, event, settings)
            categories = list((await session.scalars(select(Category))).all())
        with ThreadPoolExecutor(1) as pool:
            fitted = await fit(event, inputs, pool, settings, _quiet)
        async with transaction(sessions) as session:
            payload = await store_forecast(session, event, inputs, fitted, settings)
        return payload, categories
    finally:
        await engine.dispose()


def table(payload: ForecastCompletedPayload, categories: list[Category]) -> list[dict[str, Any]]:
    by_code = {c.code: c for c in categories}
    summaries = {s.category_code: s for s in payload.categories}
    assert payload.manufacturing is not None
    rows = []
    for line in payload.manufacturing.lines:
        s, c = summaries[line.category_code], by_code[line.category_code]
        demand = SeasonDemand.from_intervals(
            s.season_total, s.lower_80, s.upper_80, s.lower_95, s.upper_95
        )
        money = Economics(float(c.unit_price), float(c.unit_cost or 0), float(c.salvage_value or 0))
        rule = evaluate(demand, money, line.stock_on_hand, line.rule_quantity or 0)
        plus = evaluate(demand, money, line.stock_on_hand, round(line.quantity * 1.1))
        minus = evaluate(demand, money, line.stock_on_hand, round(line.quantity * 0.9))
        rows.append(
            {
                "code": line.category_code,
                "price/cost/salvage": f"{money.price:g}/{money.cost:g}/{money.salvage:g}",
                "forecast": s.season_total,
                "80%": f"{s.lower_80:,.0f}-{s.upper_80:,.0f}",
                "95%": f"{s.lower_95:,.0f}-{s.upper_95:,.0f}",
                "sigma": demand.sigma,
                "ratio": money.critical_ratio,
                "on hand": line.stock_on_hand,
                "newsvendor": line.quantity,
                "service": line.service_level,
                "E[margin]": line.expected_margin,
                "rule": rule.quantity,
                "rule service": rule.service_level,
                "rule E[margin]": rule.expected_margin,
                "-10%": minus.expected_margin,
                "+10%": plus.expected_margin,
            }
        )
    return rows


def show(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        print(
            f"{row['code']}: price/cost/salvage {row['price/cost/salvage']}, forecast "
            f"{row['forecast']:,.0f} (80% {row['80%']}, 95% {row['95%']}, sigma "
            f"{row['sigma']:,.0f}), critical ratio {row['ratio']:.3f}, on hand {row['on hand']:,}"
        )
        print(
            f"  newsvendor {row['newsvendor']:,} units, service level {row['service']:.1%}, "
            f"E[margin] ${row['E[margin]']:,.0f} (-10%: ${row['-10%']:,.0f}, +10%: "
            f"${row['+10%']:,.0f})"
        )
        print(
            f"  safety-stock rule {row['rule']:,} units, service level "
            f"{row['rule service']:.1%}, E[margin] ${row['rule E[margin]']:,.0f}"
        )
    total = sum(r["newsvendor"] for r in rows)
    rule = sum(r["rule"] for r in rows)
    gain = sum(r["E[margin]"] - r["rule E[margin]"] for r in rows)
    print(f"total: newsvendor {total:,} units, rule {rule:,} units; E[margin] gain ${gain:,.0f}")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    args = parser.parse_args(argv)
    name = f"planner_buy_example_{uuid4().hex[:8]}"
    url = await create_database(args.server, name)
    try:
        await asyncio.to_thread(migrate, url)
        payload, categories = await forecast_sample(url)
        show(table(payload, categories))
    finally:
        await drop_database(args.server, name)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
