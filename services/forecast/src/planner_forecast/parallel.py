"""Process-pool setup for the panel fits, and the statsforecast calls (here or on Dask).

Use `init_worker` as the `initializer` of every `ProcessPoolExecutor` that runs forecasts:

    ProcessPoolExecutor(max_workers=2, initializer=init_worker)

and `warm_up` once per worker at start-up, so the first season does not pay for imports and
numba's compilation.

A worker dies with the service that started it: a `kill -9` of the service leaves no worker
running on (each holds a few hundred MB), re-parented to PID 1 and out of anyone's sight.
Linux sends the death signal when the thread that started the worker ends: the pool starts
its workers from the thread that submits work, the event loop's, which lives as long as the
service does.
"""

from __future__ import annotations

import copy
import ctypes
import ctypes.util
import functools
import multiprocessing
import os
import signal
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

PR_SET_PDEATHSIG = 1
PARENT_POLL_SECONDS = 1.0
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
    """Tie this worker's life to its parent's, then pin its native thread pools."""
    die_with_parent()
    limit_native_threads()


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux), and watch the
    parent from a thread where that is not available. Does nothing in a process that no
    multiprocessing parent started (the test process calls `limit_native_threads` too)."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return
    parent_pid = parent.pid
    if not _set_parent_death_signal():
        threading.Thread(
            target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True
        ).start()
    # The parent may have died before the signal was armed: the kernel then re-parented us.
    if os.getppid() != parent_pid:
        os._exit(1)


def _set_parent_death_signal() -> bool:
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def limit_native_threads() -> None:
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


def statsforecast_chunk(
    frame: pd.DataFrame, models: list[Any], kwargs: dict[str, Any], method: str
) -> pd.DataFrame:
    """statsforecast's `cross_validation` or `forecast` of whole series, wherever it runs."""
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    # Fitting writes into the model objects: tasks sharing a worker's memory (threads) each
    # need their own.
    own = copy.deepcopy(models)
    sf = StatsForecast(models=own, freq=1, n_jobs=1, fallback_model=Naive())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        return pd.DataFrame(getattr(sf, method)(df=frame, **kwargs))


def dask_statsforecast(
    frame: pd.DataFrame,
    models: list[Any],
    kwargs: dict[str, Any],
    method: str,
    partitions: int,
    address: str | None,
) -> pd.DataFrame:
    """A statsforecast call on the panel spread over a Dask cluster, whole series per task.

    With an address, connects (once per process) to that scheduler; without, uses the client
    already current in this process (a test's LocalCluster) and refuses to run without one.
    Each task runs statsforecast on its share of the series; the frames come back and are
    concatenated, so everything after the fits (the combination chosen on the whole panel,
    reconciliation, calibration) is the same as on one machine.
    """
    from distributed import default_client

    client = _client(address) if address else default_client()  # type: ignore[no-untyped-call]
    ids = np.asarray(frame["unique_id"].drop_duplicates(), dtype=str)
    shares = [part for part in np.array_split(ids, max(1, min(partitions, ids.size))) if part.size]
    chunks = [frame[frame["unique_id"].isin(part)] for part in shares]
    futures = client.map(
        statsforecast_chunk, chunks, models=models, kwargs=kwargs, method=method, pure=False
    )
    parts: list[pd.DataFrame] = client.gather(futures)
    return pd.concat(parts, ignore_index=True)


@functools.cache
def _client(address: str) -> Any:
    from distributed import Client

    return Client(address, set_as_default=False)  # type: ignore[no-untyped-call]
