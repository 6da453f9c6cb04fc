"""Forecast tests fit models in the test process: pin its BLAS pools as the service's workers
do, and share statsforecast's compiled numba code with them (and with the next run)."""

from __future__ import annotations

import pytest

from planner_forecast.parallel import init_worker, numba_cache

numba_cache()  # before anything imports statsforecast


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread() -> None:
    # Left at one thread per core, BLAS threads of the two pytest-xdist workers spin against
    # each other on every small product (see planner_forecast.parallel).
    init_worker()
