"""Uploaded files are parsed in worker processes, a bounded number at a time.

Parsing a 10 MB CSV is seconds of pure Python. On the event loop it froze everything the
gateway serves meanwhile: every request, every socket and the stream reader (issue 22,
point 2). Worker threads were not enough: a thread parsing holds the interpreter lock, and
the loop, which gives the lock up at every socket read and write, waits up to a switch
interval each time it wants it back: `/health` answered in 250 ms (p99) with one upload and
390 ms with three. So the parse and every pure pass over the rows run in a process of their
own, and only a compact result comes back (for a history file, the rows as COPY text for
PostgreSQL: history_ingest.py), never hundreds of thousands of Python objects to unpickle.

The pool is started lazily (the first upload) with the "spawn" context: forking a process
that runs an event loop and threads copies locks held by other threads. Each worker dies
with the gateway: the kernel SIGKILLs it when the gateway dies (PR_SET_PDEATHSIG; the pool
starts its workers from the event loop's thread, which lives as long as the gateway), and a
thread of the worker watches its parent's pid as well, so a `kill -9` of the gateway leaves
no worker behind.

At most `upload_parse_workers` files are parsed at once (each holds its bytes and its rows
in memory); up to `upload_parse_queue` more wait their turn, and an upload past that is
refused at once with 503 and Retry-After rather than piling up memory behind the others. A
worker that died (killed, out of memory) breaks the pool: the upload is answered 503 with
Retry-After and the next one starts a fresh pool.

`CsvValidationError` does not survive pickling (its arguments are its rows of problems, not
its message), so a worker hands a refusal back as `_Refusal` and it is raised again here.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from planner_gateway.errors import ApiError
from planner_shared.datasets.csv_formats import CsvError, CsvTooLargeError, CsvValidationError

P = ParamSpec("P")
T = TypeVar("T")

RETRY_AFTER_SECONDS = 5
PR_SET_PDEATHSIG = 1
PARENT_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class _Refusal:
    """A `CsvValidationError` raised in a worker, in a form that pickles."""

    too_large: bool
    errors: list[CsvError]
    total: int

    def exception(self) -> CsvValidationError:
        kind = CsvTooLargeError if self.too_large else CsvValidationError
        return kind(self.errors, self.total)


def _call(
    fn: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]
) -> T | _Refusal:
    """Runs in the worker: `fn`'s answer, or its refusal of the file."""
    try:
        return fn(*args, **kwargs)
    except CsvValidationError as exc:
        return _Refusal(isinstance(exc, CsvTooLargeError), exc.errors, exc.total)


def die_with_parent() -> None:
    """The worker's initializer: end this process when the gateway ends, however it ends."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return
    parent_pid = parent.pid
    _set_parent_death_signal()
    # Also when the signal is not available, or the pool's thread that started us is not
    # the gateway's last: a re-parented worker ends itself.
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True
    ).start()
    if os.getppid() != parent_pid:  # the gateway died before the signal was armed
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


class ParsePool:
    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = queue
        self._executor: ProcessPoolExecutor | None = None
        self._slots = asyncio.Semaphore(workers)
        self.running = 0
        self.waiting = 0
        self.refused = 0
        self.broken = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=die_with_parent,
            )
        return self._executor

    def pids(self) -> list[int]:
        """The worker processes running now (none before the first upload)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return sorted(p.pid for p in processes.values() if p.pid is not None)

    def _busy(self, message: str, code: str) -> ApiError:
        return ApiError(503, message, code=code, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    async def run(self, parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`parse(*args, **kwargs)` in a worker process, once a slot is free; 503 when
        `queue` uploads already wait for one. `parse` must be a module-level function and
        its arguments and answer must pickle."""
        if self._slots.locked() and self.waiting >= self.queue:
            self.refused += 1
            raise self._busy(
                f"{self.running} uploads are being read and {self.waiting} wait their turn; "
                f"send the file again in {RETRY_AFTER_SECONDS} seconds",
                "uploads_busy",
            )
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            loop = asyncio.get_running_loop()
            pool = self._pool()
            try:
                answer = await loop.run_in_executor(
                    pool, functools.partial(_call, parse, args, kwargs)
                )
            except BrokenProcessPool:
                self.broken += 1
                if self._executor is pool:
                    self._executor = None
                    pool.shutdown(wait=False, cancel_futures=True)
                raise self._busy(
                    "the process reading uploads stopped while reading this file; "
                    f"send it again in {RETRY_AFTER_SECONDS} seconds",
                    "upload_reader_restarted",
                ) from None
        finally:
            self.running -= 1
            self._slots.release()
        if isinstance(answer, _Refusal):
            raise answer.exception()
        return answer

    def close(self) -> None:
        """Stop the workers (the gateway's shutdown): a parse under way is abandoned."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list((getattr(executor, "_processes", None) or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
