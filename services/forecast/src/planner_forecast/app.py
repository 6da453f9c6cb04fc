"""Composition root of the forecast service: the process pool lives with the app."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from planner_forecast.handlers import ForecastHandlers
from planner_forecast.parallel import Lanes, init_worker, numba_cache, warm_up
from planner_forecast.settings import ForecastSettings
from planner_shared.bus.router import EventRouter
from planner_shared.runtime import RouterSetup, Runtime, create_service_app

SERVICE_NAME = "forecast"


def forecast_setup(settings: ForecastSettings) -> RouterSetup:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[EventRouter]:
        # Model fits are CPU-bound: they run in worker processes, off the event loop, each
        # season's series split across all of them (parallel.Lanes).
        # `spawn` because forking a process that runs an event loop and threads is unsafe.
        numba_cache()  # inherited by the spawned workers
        with Lanes(
            settings.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
        ) as pool:
            # Warm every worker before the first season arrives: imports and numba's
            # compilation otherwise land on the first planner's forecast.
            await asyncio.gather(*map(asyncio.wrap_future, pool.on_each(warm_up)))
            yield ForecastHandlers(pool, settings).router()

    return setup


def create_app(settings: ForecastSettings | None = None) -> FastAPI:
    settings = settings or ForecastSettings()
    return create_service_app(
        SERVICE_NAME,
        settings,
        forecast_setup(settings),
        description="Ensemble forecasts, store clusters, allocation, variance and re-forecast.",
    )
