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
    # scipy ships its own OpenBLAS, loaded only when statsmodels first needs scipy.linalg:
    # load it now, or the limit misses it and its spinning threads cost 3-10x the CPU per
    # forecast (measured on the Walmart series with other processes on the cores).
    import scipy.linalg  # type: ignore[import-untyped]  # noqa: F401

    threadpool_limits(limits=1)
