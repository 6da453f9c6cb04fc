"""Process-pool setup for the model fits.

Use `init_worker` as the `initializer` of every `ProcessPoolExecutor` that runs forecasts:

    ProcessPoolExecutor(max_workers=2, initializer=init_worker)

A worker dies with the service that started it: a `kill -9` of the service leaves no worker
running on (each holds a few hundred MB), re-parented to PID 1 and out of anyone's sight.
Linux sends the death signal when the thread that started the worker ends: the pool starts
its workers from the thread that submits work, the event loop's, which lives as long as the
service does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import threading
import time

from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

PR_SET_PDEATHSIG = 1
PARENT_POLL_SECONDS = 1.0


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
