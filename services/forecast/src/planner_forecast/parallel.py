"""Process-pool setup for the model fits.

Use `init_worker` as the `initializer` of every `ProcessPoolExecutor` that runs forecasts:

    ProcessPoolExecutor(max_workers=2, initializer=init_worker)
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]


def init_worker() -> None:
    """Pin the native thread pools (OpenBLAS, OpenMP) of this worker process to one thread.

    The SARIMAX Kalman filter calls BLAS on small matrices many times; with one pool of N
    threads per process, N processes oversubscribe the cores and spin against each other
    (measured here: two workers ran 4-6x slower than one). Parallelism comes from the
    processes instead.
    """
    threadpool_limits(limits=1)
