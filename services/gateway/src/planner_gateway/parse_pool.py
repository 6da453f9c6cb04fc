"""Uploaded files are parsed off the event loop, a bounded number at a time.

Parsing a 10 MB CSV is seconds of pure Python. On the event loop it froze everything the
gateway serves meanwhile: every request, every socket and the stream reader. Here each parse
runs on a worker thread; the loop gets the interpreter back at every switch interval, so
`/health`, the sockets and the reader go on while a file is read.

At most `upload_parse_workers` files are parsed at once (each holds its bytes and its rows in
memory); up to `upload_parse_queue` more wait their turn, and an upload past that is refused
at once with 503 and Retry-After rather than piling up memory behind the others.

Threads, not processes: the parsed rows would have to be pickled back to the gateway, which
costs the loop about as much as parsing them. The passes over every row that follow the parse
(plausibility, repeated rows, unknown codes, the audit of an upload) run on worker threads
too (`asyncio.to_thread`): profiled with py-spy on a 10 MB history file, they, not the parse,
held the loop for seconds. `bench/upload_health.py` measures `/health` meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from planner_gateway.errors import ApiError

P = ParamSpec("P")
T = TypeVar("T")

RETRY_AFTER_SECONDS = 5


class ParsePool:
    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="csv-parse")
        self._slots = asyncio.Semaphore(workers)
        self.running = 0
        self.waiting = 0
        self.refused = 0

    async def run(self, parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`parse(*args, **kwargs)` on a worker thread, once a slot is free; 503 when
        `queue` uploads already wait for one."""
        if self._slots.locked() and self.waiting >= self.queue:
            self.refused += 1
            raise ApiError(
                503,
                f"{self.running} uploads are being read and {self.waiting} wait their turn; "
                f"send the file again in {RETRY_AFTER_SECONDS} seconds",
                code="uploads_busy",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._executor, functools.partial(parse, *args, **kwargs)
            )
        finally:
            self.running -= 1
            self._slots.release()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
