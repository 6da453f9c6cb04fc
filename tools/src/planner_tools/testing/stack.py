"""Season Planner services as real OS processes on one database, one Redis and one stream
prefix: the launcher of the end-to-end tests and the benchmarks.

Each service runs `python -m planner_<name>` in its own process group (the forecast service's
model-fitting workers are its children, so a kill takes the whole service down, as a crashed
container would), on a free port, with its log in a file of the stack's log directory.
Settings come only from the environment the caller decides, as in production: nothing of the
developer's own configuration is inherited (no PLANNER_*, OPENAI_*, DATABASE_URL, REDIS_URL),
and the working directory is the log directory, so a `.env` in the repository (which
`PlannerSettings` reads from the working directory) never leaks in either.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import redis

from planner_tools.testing.servers import free_port

SERVICES = ("gateway", "extraction", "forecast", "agents", "approvals")
STOP_GRACE_SECONDS = 10.0
# The forecast service warms its pool (imports, numba compilation of the models) before it
# answers; on a loaded 2-core machine with a cold numba cache that can pass a minute.
READY_TIMEOUT_SECONDS = 180.0
SEED_TIMEOUT_SECONDS = 120.0
LOG_TAIL_LINES = 40
# The developer's own Season Planner, LLM and pytest configuration: never inherited. Without
# an OpenAI key the services use the deterministic extraction parser and agent model.
_PRIVATE_PREFIXES = ("PLANNER_", "OPENAI_", "PYTEST_", "DATABASE_URL", "REDIS_URL")


class StackError(AssertionError):
    """A service did not start or died, or a set-up step failed; the message says why."""


def clean_environ() -> dict[str, str]:
    """This process's environment without any Season Planner or LLM setting (PATH, HOME and
    the like stay)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_PRIVATE_PREFIXES)}


def service_env(
    *,
    database_url: str,
    redis_url: str,
    stream_prefix: str,
    settings: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment every service process gets: the stack's servers and prefix, the
    production defaults for everything else unless `settings` (PLANNER_* variables) says."""
    return clean_environ() | {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PLANNER_ENVIRONMENT": "test",
        "PLANNER_STREAM_PREFIX": stream_prefix,
        "PYTHONUNBUFFERED": "1",
        **(settings or {}),
    }


def seed_database(
    database_url: str,
    data_dir: Path,
    work_dir: Path,
    timeout: float = SEED_TIMEOUT_SECONDS,
) -> str:
    """Load a data set into a migrated database as `make seed` does, in a process that sees
    only DATABASE_URL and runs in `work_dir` (no `.env` there); returns what it printed."""
    env = clean_environ() | {"DATABASE_URL": database_url, "PLANNER_ENVIRONMENT": "test"}
    seeded = subprocess.run(
        [sys.executable, "-m", "planner_shared.datasets.seed", "--dir", str(data_dir.resolve())],
        cwd=work_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if seeded.returncode != 0:
        raise StackError(f"seeding failed:\n{seeded.stdout}{seeded.stderr}")
    return seeded.stdout


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "    (no log)"
    tail = text.splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in tail) or "    (log is empty)"


@dataclass
class ServiceProcess:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, env: Mapping[str, str]) -> None:
        if self.alive():
            raise StackError(f"{self.name} is already running")
        self.starts += 1
        self._log = self.log_path.open("ab")
        self._log.write(f"\n===== start #{self.starts} of {self.name} =====\n".encode())
        self._log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"planner_{self.name}"],
            cwd=self.log_path.parent,
            env=dict(env) | {f"PLANNER_{self.name.upper()}_PORT": str(self.port)},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill reaches its workers
        )

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole service, mid-work: no shutdown code runs."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; always reaps the group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_GRACE_SECONDS)
        # Workers of the service (if any survived their parent) go too.
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines)


@dataclass
class Stack:
    """Some or all of the services, on one database, Redis and stream prefix; each service
    starts, stops, is killed and restarted on its own."""

    database_url: str
    redis_url: str
    stream_prefix: str
    env: dict[str, str]
    log_dir: Path
    services: dict[str, ServiceProcess]
    ready_timeout: float = READY_TIMEOUT_SECONDS

    @classmethod
    def create(
        cls,
        *,
        database_url: str,
        redis_url: str,
        stream_prefix: str,
        log_dir: Path,
        services: Sequence[str] = SERVICES,
        settings: Mapping[str, str] | None = None,
        ready_timeout: float = READY_TIMEOUT_SECONDS,
    ) -> Stack:
        """Free ports and log files for `services`; nothing runs until `start`."""
        log_dir.mkdir(parents=True, exist_ok=True)
        env = service_env(
            database_url=database_url,
            redis_url=redis_url,
            stream_prefix=stream_prefix,
            settings=settings,
        )
        processes = {
            name: ServiceProcess(name, free_port(), log_dir / f"{name}.log") for name in services
        }
        return cls(database_url, redis_url, stream_prefix, env, log_dir, processes, ready_timeout)

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    @property
    def gateway_url(self) -> str:
        return self.services["gateway"].url

    def start(self, names: Iterable[str] | None = None) -> None:
        """Start `names` (default: every service of the stack) and wait until each is ready."""
        names = list(self.services if names is None else names)
        for name in names:
            self.services[name].start(self.env)
        self.wait_ready(names)

    def restart(self, name: str) -> None:
        self.services[name].stop()
        self.start([name])

    def wait_ready(self, names: Iterable[str]) -> None:
        pending = set(names)
        last: dict[str, str] = {}
        deadline = time.monotonic() + self.ready_timeout
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for name in sorted(pending):
                    service = self.services[name]
                    if not service.alive():
                        raise StackError(
                            f"{name} exited (code {service.process and service.process.poll()}) "
                            f"before it was ready:\n{service.tail()}"
                        )
                    try:
                        response = client.get(f"{service.url}/ready")
                    except httpx.HTTPError as exc:
                        last[name] = repr(exc)
                        continue
                    if response.status_code == 200:
                        pending.discard(name)
                    else:
                        last[name] = f"HTTP {response.status_code}: {response.text[:200]}"
                if pending and time.monotonic() > deadline:
                    name = sorted(pending)[0]
                    raise StackError(
                        f"{', '.join(sorted(pending))} not ready after {self.ready_timeout:.0f}s "
                        f"({name}: {last.get(name, 'no answer')}):\n{self.services[name].tail()}"
                    )
                if pending:
                    time.sleep(0.2)

    def dead(self) -> list[str]:
        """Services that should be running but are not."""
        return [s.name for s in self.services.values() if s.process is not None and not s.alive()]

    def stop_all(self) -> None:
        for service in self.services.values():
            service.stop()

    def delete_streams(self) -> None:
        """Remove every stream of the stack's prefix (and its dead letters) from Redis."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            keys = list(client.scan_iter(match=f"{self.stream_prefix}.*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    def report(self, lines: int = LOG_TAIL_LINES) -> str:
        """Every service's state and log tail, for a failure's message."""
        parts = []
        for s in self.services.values():
            code = None if s.process is None else s.process.poll()
            state = "running" if s.alive() else f"exited ({code})"
            parts.append(f"--- {s.name} ({state}, port {s.port}, {s.log_path}):\n{s.tail(lines)}")
        return "\n".join(parts)
