"""Test support shipped with the gateway: the app inside its lifespan, real uvicorn servers on
loopback, fake responders standing in for the extraction and approvals services, test keys
and seed data. Used by the gateway tests and by end-to-end tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from uuid import UUID, uuid4

import httpx
import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_gateway.app import create_app
from planner_gateway.settings import GatewaySettings
from planner_shared.bus.publisher import EventPublisher
from planner_shared.bus.streams import decode_entry
from planner_shared.db.engine import transaction
from planner_shared.db.models import (
    Allocation,
    Category,
    ManufacturingOrder,
    Store,
    Workflow,
)
from planner_shared.events import EventBase, parse_event
from planner_shared.runtime import Runtime, stop_tasks
from planner_tools.testing.forecasts import add_forecast
from planner_tools.testing.servers import free_port

Sessions = async_sessionmaker[AsyncSession]

KEYS = {
    "planner-key-0123456789": {"name": "pat", "roles": ["planner"]},
    "approver-key-0123456789": {"name": "ann", "roles": ["approver"]},
    "operator-key-0123456789": {"name": "olga", "roles": ["operator"]},
    "reader-key-0123456789": {"name": "rita", "roles": []},
}
PLANNER = {"Authorization": "Bearer planner-key-0123456789"}
APPROVER = {"Authorization": "Bearer approver-key-0123456789"}
OPERATOR = {"Authorization": "Bearer operator-key-0123456789"}
READER = {"Authorization": "Bearer reader-key-0123456789"}
TOKEN = "reader-key-0123456789"

PARAMETERS = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2027-03-01",
    "replenishment_strategy": "weekly",
    "dc_holdback_percentage": 45.0,
    "markdown_checkpoint_week": 6,
    "markdown_threshold": 0.6,
}


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def publisher(self) -> EventPublisher:
        return self.runtime.publisher


@contextlib.asynccontextmanager
async def running_gateway(settings: GatewaySettings) -> AsyncIterator[Gateway]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield Gateway(app, client)


@dataclass
class Server:
    app: FastAPI
    port: int

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def ws(self, workflow_id: UUID | str, query: str = f"token={TOKEN}") -> str:
        return f"ws://127.0.0.1:{self.port}/ws/workflows/{workflow_id}?{query}"


@contextlib.asynccontextmanager
async def serve(
    settings: GatewaySettings, *, ws_max_size: int | None = None
) -> AsyncIterator[Server]:
    """A real uvicorn server on a free loopback port, in this event loop.

    uvicorn caps client WebSocket frames at `settings.ws_max_message_bytes`, as
    `python -m planner_gateway` does, unless `ws_max_size` says otherwise."""
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        ws="websockets-sansio",
        ws_max_size=ws_max_size or settings.ws_max_message_bytes,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Server(app, port)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


async def seed_reference(sessionmaker: Sessions) -> dict[str, UUID]:
    """Three stores and two categories; returns ids by code."""
    ids: dict[str, UUID] = {}
    async with transaction(sessionmaker) as session:
        for n, (region, size, traffic) in enumerate(
            [("north", 12000, 9000), ("south", 6000, 4000), ("east", 3000, 1500)], start=1
        ):
            store = Store(
                id=uuid4(),
                code=f"S00{n}",
                name=f"Store {n}",
                region=region,
                size_sqft=size,
                weekly_traffic=traffic,
                format="mall" if n % 2 else "street",
            )
            session.add(store)
            ids[store.code] = store.id
        for code, name, price, elasticity, cost, salvage, demand in [
            ("DRESS", "Dresses", 79.0, 1.8, 30.0, 15.0, -2.0),
            ("KNIT", "Knitwear", 49.0, 1.2, 20.0, 10.0, -1.5),
        ]:
            category = Category(
                id=uuid4(),
                code=code,
                name=name,
                unit_price=price,
                price_elasticity=elasticity,
                stock_on_hand=100,
                unit_cost=cost,
                salvage_value=salvage,
                demand_elasticity=demand,
            )
            session.add(category)
            ids[code] = category.id
    return ids


# A short season the console's reads are tested on: four weeks from Monday 1 March 2027,
# weekly replenishment, 40 % held at the DC, the markdown checkpoint at week 2.
FOUR_WEEK_SEASON: dict[str, Any] = {
    "forecast_horizon_weeks": 4,
    "season_start_date": "2027-03-01",
    "replenishment_strategy": "weekly",
    "dc_holdback_percentage": 40.0,
    "markdown_checkpoint_week": 2,
    "markdown_threshold": 0.6,
}


async def new_workflow(
    sessionmaker: Sessions,
    state: str = "created",
    parameters: dict[str, Any] | None = None,
    category_codes: list[str] | None = None,
) -> UUID:
    async with transaction(sessionmaker) as session:
        workflow = Workflow(
            id=uuid4(),
            state=state,
            parameters=parameters if parameters is not None else PARAMETERS,
            category_codes=category_codes,
            created_by="pat",
            context={},
        )
        session.add(workflow)
    return workflow.id


SEASON_STORES = ("S001", "S002", "S003")


async def seed_four_week_season(
    sessionmaker: Sessions,
    codes: Sequence[str],
    *,
    state: str,
    order: int,
    approved: bool,
    initial: Mapping[str, int] | None = None,
    parameters: Mapping[str, Any] = FOUR_WEEK_SEASON,
    point: float = 60.0,
    store_totals: Sequence[float] = (80.0, 80.0, 80.0),
) -> UUID:
    """A four-week workflow (FOUR_WEEK_SEASON unless `parameters`) in `state` over the
    seeded stores, for each category of `codes`: a forecast of `point` a week (±25 % at 80 %,
    ±33 % at 95 %; `store_totals` over the season, one per store of SEASON_STORES), a
    manufacturing order of `order` with 10 on hand (approved as proposed when `approved`)
    and, with `initial`, each store's initial allocation (store -> units)."""
    ids = await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, state, dict(parameters), list(codes))
    week = (point, 0.75 * point, 1.25 * point, point * 2 / 3, point * 4 / 3, point)
    async with transaction(sessionmaker) as session:
        for code in codes:
            await add_forecast(
                session,
                workflow_id,
                ids[code],
                dict.fromkeys(range(1, 5), week),
                season_start=date(2027, 3, 1),
                diagnostics={
                    "weeks_elapsed": 0,
                    "stores": {
                        s: {"season_total": t}
                        for s, t in zip(SEASON_STORES, store_totals, strict=True)
                    },
                },
            )
            session.add(
                ManufacturingOrder(
                    workflow_id=workflow_id,
                    category_id=ids[code],
                    forecast_units=240.0,
                    safety_stock_pct=10.0,
                    stock_on_hand=10,
                    recommended_quantity=order,
                    approved_quantity=order if approved else None,
                    reasoning={},
                )
            )
            for store, units in (initial or {}).items():
                session.add(
                    Allocation(
                        workflow_id=workflow_id,
                        store_id=ids[store],
                        category_id=ids[code],
                        kind="initial",
                        week_number=0,
                        units=units,
                    )
                )
    return workflow_id


async def count(sessionmaker: Sessions, model: type[Any]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def events_on(redis: aioredis.Redis, stream: str) -> list[EventBase]:
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis.xrange(stream))
    return [parse_event(decode_entry(fields)) for _id, fields in entries]


Answer = Callable[[EventBase], EventBase | None]


@contextlib.asynccontextmanager
async def responder(
    redis: aioredis.Redis, publisher: EventPublisher, stream: str, answer: Answer
) -> AsyncIterator[list[EventBase]]:
    """Stand-in for a service: answers requests on `stream`; yields the requests it saw."""
    seen: list[EventBase] = []
    last = cast(list[tuple[bytes, Any]], await redis.xrevrange(stream, count=1))
    position = last[0][0].decode() if last else "0-0"

    stopping = asyncio.Event()

    async def run() -> None:
        nonlocal position
        while not stopping.is_set():
            response = cast(
                list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]],
                await redis.xread({stream: position}, block=100) or [],
            )
            for _stream, items in response:
                for message_id, fields in items:
                    position = message_id.decode()
                    event = parse_event(decode_entry(fields))
                    reply = answer(event)
                    if reply is not None:
                        seen.append(event)
                        await publisher.publish(reply)

    task = asyncio.create_task(run(), name="test-responder")
    try:
        yield seen
    finally:
        # On Python 3.11 a cancellation that lands inside redis-py's `wait_for` can be
        # swallowed (CPython gh-86296) and the loop would read on for ever: the flag ends it
        # at its next read, and stop_tasks cancels again until it does.
        stopping.set()
        await stop_tasks([task], redis)


async def wait_until(predicate: Callable[[], Any], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.03)
