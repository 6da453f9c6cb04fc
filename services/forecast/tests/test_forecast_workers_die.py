"""Issue 12, point 8: the forecast pool's workers die with the service that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import multiprocessing, sys, time
from concurrent.futures import ProcessPoolExecutor
from planner_forecast.parallel import init_worker

def pid_then_sleep() -> int:
    import os, threading
    threading.Timer(0.1, lambda: None).start()
    return os.getpid()

if __name__ == "__main__":
    pool = ProcessPoolExecutor(
        max_workers=2, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker
    )
    pids = {pool.submit(pid_then_sleep).result(timeout=120) for _ in range(4)}
    with open(sys.argv[1], "w") as out:
        out.write(" ".join(str(p) for p in sorted(pids)))
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead: only its exit status is left for the parent (here, PID 1) to collect.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][:1] != "Z"


def test_pool_workers_die_when_the_service_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    pids_file = tmp_path / "pids"
    parent = subprocess.Popen([sys.executable, str(script), str(pids_file)])
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not pids_file.exists() or not pids_file.read_text():
            assert parent.poll() is None, "the parent process ended early"
            assert time.monotonic() < deadline, "the pool never answered"
            time.sleep(0.1)
        workers = [int(p) for p in pids_file.read_text().split()]
        assert workers
        assert all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in workers if _alive(pid)] == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        for pid in workers:  # only when the test failed: leave no orphan of ours behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
