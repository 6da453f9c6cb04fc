"""Process-pool setup for the panel fits, and the Dask backend's entry point.

Use `init_worker` as the `initializer` of every `ProcessPoolExecutor` that runs forecasts:

    ProcessPoolExecutor(max_workers=2, initializer=init_worker)

and `warm_up` once per worker at start-up, so the first season does not pay for imports and
numba's compilation.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

NUMBA_CACHE_ENV = "NUMBA_CACHE_DIR"
DEFAULT_NUMBA_CACHE = Path.home() / ".cache" / "planner-numba"


def numba_cache() -> None:
    """Keep statsforecast's numba machine code on disk, across processes and restarts.

    Compiling its models costs seconds on first use in every new process; statsforecast
    caches only when NIXTLA_NUMBA_CACHE is set, read when it is imported, so this must run
    before that import (the service's start-up, the pool's initializer, the tests' conftest).
    """
    os.environ.setdefault("NIXTLA_NUMBA_CACHE", "1")
    os.environ.setdefault(NUMBA_CACHE_ENV, str(DEFAULT_NUMBA_CACHE))


def init_worker() -> None:
    """Pin the native thread pools (OpenBLAS, OpenMP) of this worker process to one thread.

    Parallelism comes from the processes (one season panel each); N BLAS threads per process
    on top would oversubscribe the cores and spin against each other.
    """
    numba_cache()
    import scipy.linalg  # type: ignore[import-untyped]  # noqa: F401

    threadpool_limits(limits=1)


def warm_up(_: int = 0) -> float:
    """Fit a tiny reconciled panel: imports, numba compilation, first-call caches."""
    from planner_forecast.ensemble import EngineConfig
    from planner_forecast.hierarchy import forecast_hierarchy

    rng = np.random.default_rng(0)
    weeks = 120
    t = np.arange(weeks)
    season = 10 * np.sin(2 * np.pi * t / 52)
    data = {f"S{i}|C": 50 + season + rng.normal(0, 3, weeks) for i in range(3)} | {
        "S0|D": rng.poisson(0.3, weeks).astype(float)
    }
    bottom = pd.DataFrame(data, index=pd.date_range("2020-01-06", periods=weeks, freq="7D"))
    result = forecast_hierarchy(bottom, {"S0": 0, "S1": 0, "S2": 1}, 4, EngineConfig())
    return float(result.season_total.sum())


def dask_frame(frame: pd.DataFrame, partitions: int, address: str | None) -> Any:
    """The panel as a Dask DataFrame on the configured cluster (statsforecast then runs it
    through its fugue backend). With an address, connects a client to that scheduler;
    without, uses the client already current in this process."""
    import dask.dataframe as dd
    from distributed import default_client

    if address:
        _client(address)
    else:
        default_client()  # type: ignore[no-untyped-call]  # raises when no cluster is connected: say so, do not run locally
    return dd.from_pandas(frame, npartitions=max(1, partitions))  # type: ignore[no-untyped-call]


@functools.cache
def _client(address: str) -> Any:
    from distributed import Client

    return Client(address, set_as_default=True)  # type: ignore[no-untyped-call]
