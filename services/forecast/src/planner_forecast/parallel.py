"""Process-pool setup for the panel fits, and the statsforecast calls (here or on Dask).

Use `init_worker` as the `initializer` of every `ProcessPoolExecutor` that runs forecasts:

    ProcessPoolExecutor(max_workers=2, initializer=init_worker)

and `warm_up` once per worker at start-up, so the first season does not pay for imports and
numba's compilation.

The service runs its workers as `Lanes`: one single-process pool per worker, and every
statsforecast call of a season split across all of them by series, each series always to the
same lane. One season then uses every core, and a series' fits and forwards stay cached in
the one process that will be asked for them again (rolling.FITS / FORWARDS are per process):
ten seasons on the same history fit it once, on all cores, instead of once per worker.

A worker dies with the service that started it: a `kill -9` of the service leaves no worker
running on (each holds a few hundred MB), re-parented to PID 1 and out of anyone's sight.
Linux sends the death signal when the thread that started the worker ends: the pool starts
its workers from the thread that submits work, the event loop's, which lives as long as the
service does.
"""

from __future__ import annotations

import copy
import functools
import os
import warnings
import zlib
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from itertools import count
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from planner_shared import worker_life

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
    """SIGKILL from the kernel when the service dies (a watching thread where that is not
    available). Does nothing in a process that no multiprocessing parent started (the test
    process calls `limit_native_threads` too)."""
    worker_life.die_with_parent(poll_seconds=PARENT_POLL_SECONDS)


def limit_native_threads() -> None:
    """Pin the native thread pools (OpenBLAS, OpenMP) of this worker process to one thread.

    Parallelism comes from the processes (one season panel each); N BLAS threads per process
    on top would oversubscribe the cores and spin against each other.
    """
    numba_cache()
    import scipy.linalg  # noqa: F401

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


def cache_counts() -> dict[str, int]:
    """This process's fit and forward cache figures, and its fallbacks to the last value (for
    a lane: `Lanes.on_each`)."""
    from planner_forecast.rolling import FALLBACKS, FITS, FORWARDS

    return {
        "fits": len(FITS),
        "fit_hits": FITS.hits,
        "fit_misses": FITS.misses,
        "forwards": len(FORWARDS),
        "forward_hits": FORWARDS.hits,
        "forward_misses": FORWARDS.misses,
        "fallbacks": sum(FALLBACKS.values()),
    }


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
    """A statsforecast call on the panel spread over a Dask cluster: statsforecast's own
    distributed backend (fugue on Dask), whole series per task.

    With an address, connects (once per process) to that scheduler; without, uses the client
    already current in this process (a test's LocalCluster) and refuses to run without one.
    The panel goes to the cluster as a Dask DataFrame of `partitions` partitions; statsforecast
    fits each partition's series on a worker and the forecasts come back here, so everything
    after the fits (the combination chosen on the whole panel, reconciliation, calibration) is
    the same as on one machine.
    """
    import dask.dataframe as dd
    from distributed import default_client
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    _whole_partitions_to_statsforecast()
    # distributed and dask leave these functions unannotated (no-untyped-call).
    client = _client(address) if address else default_client()  # type: ignore[no-untyped-call]
    ids = frame["unique_id"].drop_duplicates()
    count = max(1, min(partitions, ids.size))
    spread = dd.from_pandas(frame, npartitions=count, sort=False)  # type: ignore[no-untyped-call]
    sf = StatsForecast(models=models, freq=1, fallback_model=Naive())
    with client.as_current(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        result = getattr(sf, method)(df=spread, **kwargs).compute()
    # fugue's schema carries the forecasts as float32 and the ids as nullable strings.
    out = pd.DataFrame(result).reset_index(drop=True)
    numbers = [c for c in out.columns if c not in ("unique_id", "ds")]
    out[numbers] = out[numbers].astype(float)
    out["ds"] = out["ds"].astype(np.int64)
    out["unique_id"] = out["unique_id"].astype(str)
    return out


@functools.cache
def _whole_partitions_to_statsforecast() -> None:
    """Have statsforecast's fugue backend hand whole partitions to statsforecast (`coarse`).

    statsforecast partitions the panel by series id with fugue's default algorithm, which on
    Dask is a `groupby(id).apply`: under pandas 3 that no longer passes the id column to the
    function, and fugue stops with "FugueBug: partitioned dataframe has different number of
    columns" (fugue 0.9.4, statsforecast 2.0.1, the newest that resolve with pandas 3).
    `coarse` partitioning keeps every series whole inside one partition and hands the
    partition over as it is; statsforecast forecasts a frame of many series anyway. Remove
    when fugue's Dask engine passes the keys under pandas 3.
    """
    import statsforecast.distributed.fugue as backend

    original = backend.transform

    def transform(*args: Any, partition: Any = None, **kwargs: Any) -> Any:
        if isinstance(partition, dict) and "algo" not in partition:
            partition = {**partition, "algo": "coarse"}
        return original(*args, partition=partition, **kwargs)

    backend.transform = transform


@functools.cache
def _client(address: str) -> Any:
    from distributed import Client

    # distributed's Client.__init__ is unannotated.
    return Client(address, set_as_default=False)  # type: ignore[no-untyped-call]


class Lanes(Executor):
    """`workers` processes, each its own single-process pool; statsforecast calls split by series.

    `submit` hands whole jobs to the lanes in turn (the warm-up). `statsforecast` is a
    `Runner` (ensemble.py): it splits the panel's series by a stable hash of their id, runs
    each share on its lane and concatenates the results, so a series always lands in the
    process that holds its cached fits. Submit from the event loop's thread first (the
    warm-up): a lane's process is started by the thread that first submits to it, and dies
    with that thread (`die_with_parent`).
    """

    def __init__(
        self,
        workers: int,
        mp_context: BaseContext | None = None,
        initializer: Callable[[], None] | None = init_worker,
    ) -> None:
        if workers < 1:
            raise ValueError("at least one lane")
        self._lanes = [
            ProcessPoolExecutor(max_workers=1, mp_context=mp_context, initializer=initializer)
            for _ in range(workers)
        ]
        self._turn = count()

    @property
    def workers(self) -> int:
        return len(self._lanes)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._lanes[next(self._turn) % len(self._lanes)].submit(fn, *args, **kwargs)

    def on_each(self, fn: Callable[..., Any], /, *args: Any) -> list[Future[Any]]:
        """`fn(*args)` once on every lane (the warm-up; a lane's cache figures)."""
        return [lane.submit(fn, *args) for lane in self._lanes]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for lane in self._lanes:
            lane.shutdown(wait=wait, cancel_futures=cancel_futures)

    def lane_of(self, unique_id: str) -> int:
        return zlib.crc32(unique_id.encode()) % len(self._lanes)

    def statsforecast(
        self, frame: pd.DataFrame, models: list[Any], kwargs: dict[str, Any], method: str
    ) -> pd.DataFrame:
        ids = frame["unique_id"].astype(str)
        which = ids.map({i: self.lane_of(i) for i in ids.unique()}).to_numpy()
        futures = [
            self._lanes[k].submit(statsforecast_chunk, frame[which == k], models, kwargs, method)
            for k in range(len(self._lanes))
            if (which == k).any()
        ]
        return pd.concat([f.result() for f in futures], ignore_index=True)
