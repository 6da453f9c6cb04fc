"""A private Season Planner stack for the benchmarks: never the one `make run` started.

`private_stack()` creates a fresh PostgreSQL database (migrated, optionally seeded with
data/sample), picks a unique stream prefix and free ports, starts the chosen services as
child processes of the benchmark, waits for every /ready, and on exit stops exactly those
processes, drops the database and deletes the streams. PostgreSQL and Redis are the ones
`DATABASE_URL` / `REDIS_URL` name (default: the local servers on their usual ports), so the
running stack's data, streams and ports are never touched. Logs go to a temporary directory
that is kept, and named, when something fails.

Not a benchmark itself: run_benchmarks.py skips files starting with `_`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis

from planner_shared.settings import PlannerSettings
from planner_shared.testing import database as testdb
from planner_shared.testing.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("gateway", "extraction", "forecast", "agents", "approvals")
READY_TIMEOUT_SECONDS = 120.0


@dataclass
class Stack:
    database_url: str
    redis_url: str
    stream_prefix: str
    ports: dict[str, int]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def settings(self) -> PlannerSettings:
        return PlannerSettings(
            database_url=self.database_url,
            redis_url=self.redis_url,
            stream_prefix=self.stream_prefix,
        )

    def env(self, **extra: str) -> dict[str, str]:
        return (
            dict(os.environ)
            | {
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "PLANNER_STREAM_PREFIX": self.stream_prefix,
                "PLANNER_LOG_JSON": "true",
            }
            | extra
        )


def _server_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _run_step(args: Sequence[str], env: Mapping[str, str], what: str) -> None:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=dict(env), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.stdout}{result.stderr}")


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _start(stack: Stack, names: Sequence[str], extra_env: Mapping[str, str]) -> None:
    for name in names:
        env = stack.env(**extra_env) | {f"PLANNER_{name.upper()}_PORT": str(stack.ports[name])}
        with (stack.log_dir / f"{name}.log").open("ab") as log:
            stack.processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"planner_{name}"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    waiting = set(names)
    while waiting:
        for name in sorted(waiting):
            process = stack.processes[name]
            if process.poll() is not None:
                log_file = stack.log_dir / f"{name}.log"
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; {log_file}:\n{_tail(log_file)}"
                )
            if _ready(stack.ports[name]):
                waiting.discard(name)
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"{', '.join(sorted(waiting))} not ready; logs in {stack.log_dir}")
        time.sleep(0.2)


def _stop(stack: Stack) -> None:
    for process in stack.processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for name, process in stack.processes.items():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            print(f"  {name} ignored SIGTERM; killing pid {process.pid}", file=sys.stderr)
            process.kill()
            process.wait(timeout=5)


def _delete_streams(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}.*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextlib.contextmanager
def private_stack(
    services: Sequence[str] = SERVICES,
    *,
    seed: bool = True,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """A migrated database of its own, a stream prefix of its own, `services` running."""
    base = PlannerSettings()
    tag = uuid.uuid4().hex[:10]
    server = _server_url(base.database_url)
    database_url = asyncio.run(testdb.create_database(server, f"planner_bench_{tag}"))
    stack = Stack(
        database_url=database_url,
        redis_url=base.redis_url,
        stream_prefix=f"bench{tag}",
        ports={name: free_port() for name in services},
        log_dir=Path(tempfile.mkdtemp(prefix="planner-bench-")),
    )
    ok = False
    try:
        _run_step(["-m", "planner_shared.db.migrate"], stack.env(), "migrate")
        if seed:
            _run_step(
                ["-m", "planner_shared.datasets.seed", "--dir", "data/sample"], stack.env(), "seed"
            )
        _start(stack, services, extra_env or {})
        yield stack
        ok = True
    finally:
        _stop(stack)
        _delete_streams(stack.redis_url, stack.stream_prefix)
        asyncio.run(testdb.drop_database(server, f"planner_bench_{tag}"))
        if ok:
            shutil.rmtree(stack.log_dir, ignore_errors=True)
        else:
            print(f"  service logs kept in {stack.log_dir}", file=sys.stderr)
