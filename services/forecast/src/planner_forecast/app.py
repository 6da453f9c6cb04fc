"""Composition root of the forecast service: the process pool lives with the app."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Future
from contextlib import asynccontextmanager

from fastapi import FastAPI

from planner_forecast.handlers import ForecastHandlers
from planner_forecast.parallel import Lanes, init_worker, numba_cache, warm_up
from planner_forecast.settings import ForecastSettings
from planner_shared.bus.router import EventRouter
from planner_shared.runtime import RouterSetup, Runtime, create_service_app

SERVICE_NAME = "forecast"

log = logging.getLogger(__name__)


class WarmUp:
    """The lanes' warm-up, watched without waiting for it."""

    def __init__(self, futures: Sequence[Future[float]]) -> None:
        self._futures = list(futures)
        self._began = time.monotonic()
        self._took: float | None = None
        for future in self._futures:
            future.add_done_callback(self._one_done)

    def _one_done(self, _: Future[float]) -> None:
        if self._took is None and all(f.done() for f in self._futures):
            self._took = time.monotonic() - self._began
            log.info("model workers warm", extra={"seconds": round(self._took, 1)})

    def problem(self) -> str | None:
        """None once every lane is warm; else how far the warm-up is, or why it failed."""
        done = [f for f in self._futures if f.done()]
        for future in done:
            if future.cancelled():
                return "model worker warm-up cancelled"
            if (error := future.exception()) is not None:
                return f"model worker warm-up failed: {type(error).__name__}: {error}"
        if len(done) == len(self._futures):
            return None
        return (
            f"warming up the model workers ({len(done)} of {len(self._futures)} warm, "
            f"{time.monotonic() - self._began:.0f}s)"
        )


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
            # compilation otherwise land on the first planner's forecast. It takes from
            # seconds to minutes on a busy machine, so it runs while the service already
            # listens: /health answers at once and /ready says "warming up" until it is done
            # (a season that arrives meanwhile queues behind it on its lane). Submitted from
            # this thread, as Lanes requires.
            warming = WarmUp(pool.on_each(warm_up))
            runtime.require("model_workers", warming.problem)
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
