"""Forecast tests fit models in the test process: pin its BLAS pools as the service's workers
do, and share statsforecast's compiled numba code with them (and with the next run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from planner_forecast.parallel import init_worker, numba_cache
from planner_shared.settings import ServiceSettings

numba_cache()  # before anything imports statsforecast


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread() -> None:
    # Left at one thread per core, BLAS threads of the two pytest-xdist workers spin against
    # each other on every small product (see planner_forecast.parallel).
    init_worker()


# The service tests check what the service does with a forecast (stores it, allocates,
# checks variance, never holds a transaction while fitting), not how good it is: they fit
# the cheap members. ARIMA and MSTL are most of a panel's fitting time; the engine's own
# tests (test_forecast_engine.py) and the benchmarks fit the default members.
FAST_MEMBERS = "auto_ets,theta_sa,seasonal_naive,naive"


@pytest.fixture
def service_settings(service_settings: Callable[..., Any]) -> Callable[..., Any]:
    """The root fixture, with the forecast service's settings on FAST_MEMBERS."""

    def build(cls: type[Any] = ServiceSettings, **overrides: object) -> Any:
        # Imported here: statsforecast must not load before numba_cache() above.
        from planner_forecast.settings import ForecastSettings

        if issubclass(cls, ForecastSettings):
            overrides = {"members": FAST_MEMBERS} | overrides
        return service_settings(cls, **overrides)

    return build
