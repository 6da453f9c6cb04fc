"""A worker process's life tied to its parent's: the services' process pools (the forecast's
model lanes, the gateway's upload readers) must not outlive a service that is killed -9.

Standard library only: the gateway's upload workers import this and little else, so a new
worker is ready in a tenth of a second.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1


def die_with_parent(*, always_watch: bool = False, poll_seconds: float = 1.0) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux), and watch the
    parent from a thread where that is not available, or always with `always_watch` (the
    signal follows the parent *thread* that started the worker, which need not be the
    process's last). Does nothing in a process no multiprocessing parent started."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return
    parent_pid = parent.pid
    if not _set_parent_death_signal() or always_watch:
        threading.Thread(
            target=_watch_parent, args=(parent_pid, poll_seconds), name="parent-watch", daemon=True
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


def _watch_parent(parent_pid: int, poll_seconds: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(poll_seconds)
    os._exit(1)
