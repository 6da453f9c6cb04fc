"""Forecast tests fit models in the test process: pin its BLAS pools as the service's workers do."""

from __future__ import annotations

import pytest

from planner_forecast.parallel import init_worker


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread() -> None:
    # Left at one thread per core, BLAS threads of the two pytest-xdist workers spin against
    # each other on every small Kalman-filter product (see planner_forecast.parallel).
    init_worker()
