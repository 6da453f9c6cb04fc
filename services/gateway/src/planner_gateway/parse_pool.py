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
its message), so a worker hands a refusal back as `upload_rows.Refusal`, raised again here.
What the workers run is in upload_rows.py, which imports nothing of the web application.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

from planner_gateway.errors import ApiError
from planner_gateway.upload_rows import Refusal, call, die_with_parent

P = ParamSpec("P")
T = TypeVar("T")

RETRY_AFTER_SECONDS = 5


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
                    pool, functools.partial(call, parse, args, kwargs)
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
        if isinstance(answer, Refusal):
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
