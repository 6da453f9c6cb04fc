"""A private Season Planner stack for the benchmarks: never the one `make run` started.

`private_stack()` creates a fresh PostgreSQL database (migrated, optionally seeded with
data/sample), picks a unique stream prefix and free ports, starts the chosen services with
the launcher the end-to-end tests use (planner_tools.testing.stack: each service a process
group of its own, with only the environment the stack decides, in its log directory), waits
for every /ready, and on exit stops exactly those processes, drops the database and deletes
the streams. The services run with the production settings: nothing of the developer's
PLANNER_*, OPENAI_* or `.env` reaches them.

PostgreSQL and Redis are the servers `DATABASE_URL` / `REDIS_URL` name, in the environment or
in the repository's `.env`, as for `make run` (default: the local servers on their usual
ports); only the server is taken from them, so the running stack's data, streams and ports
are never touched. Logs go to a temporary directory that is kept, and named, when something
fails.

Not a benchmark itself: run_benchmarks.py skips files starting with `_`.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from planner_shared.settings import PlannerSettings
from planner_tools.testing import database as testdb
from planner_tools.testing.stack import SERVICES, Stack, seed_database

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data" / "sample"
# A fresh stack's first start also imports Prophet and friends on a possibly busy machine.
READY_TIMEOUT_SECONDS = 120.0


def _server_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


@contextlib.contextmanager
def private_stack(
    services: Sequence[str] = SERVICES,
    *,
    seed: bool = True,
    settings: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """A migrated database of its own, a stream prefix of its own, `services` running."""
    base = PlannerSettings()
    tag = uuid.uuid4().hex[:10]
    server = _server_url(base.database_url)
    name = f"planner_bench_{tag}"
    log_dir = Path(tempfile.mkdtemp(prefix="planner-bench-"))
    database_url = asyncio.run(testdb.create_database(server, name))
    stack = Stack.create(
        database_url=database_url,
        redis_url=base.redis_url,
        stream_prefix=f"bench{tag}",
        log_dir=log_dir,
        services=services,
        settings=settings,
        ready_timeout=READY_TIMEOUT_SECONDS,
    )
    ok = False
    try:
        testdb.migrate(database_url)
        if seed:
            seed_database(database_url, SAMPLE_DIR, log_dir)
        stack.start()
        yield stack
        ok = True
    finally:
        try:
            stack.stop_all()
            stack.delete_streams()
        finally:
            asyncio.run(testdb.drop_database(server, name))
        if ok:
            shutil.rmtree(log_dir, ignore_errors=True)
        else:
            print(f"  service logs kept in {log_dir}", file=sys.stderr)
