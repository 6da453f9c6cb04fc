"""The five services as real OS processes on one database, one Redis and one stream prefix.

Each service runs `python -m planner_<name>` in its own process group (the forecast service's
model-fitting workers are its children, so a kill takes the whole service down, as a crashed
container would), on a free port, with its log in a file under the test's tmp dir. Settings
come only from the environment, as in production; the working directory is the log dir so a
developer's `.env` in the repository never leaks into a test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from planner_shared.testing.servers import free_port

SERVICES = ("gateway", "extraction", "forecast", "agents", "approvals")
REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_ROOT / "data" / "sample"

# Short bus timings so a killed service's pending messages are claimed by its replacement
# within seconds, not the production 30 s. Long enough that a busy 2-core machine does not
# make a live consumer's own in-flight message look abandoned.
CLAIM_IDLE_MS = 1500
STOP_GRACE_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 60.0
LOG_TAIL_LINES = 40


class StackError(AssertionError):
    """A service did not start or died; the message carries its log tail."""


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "    (no log)"
    tail = text.splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in tail) or "    (log is empty)"


def service_env(
    *, database_url: str, redis_url: str, stream_prefix: str, extra: Mapping[str, str]
) -> dict[str, str]:
    """The environment every service process gets: only what the test decides, plus PATH."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        # Nothing of the developer's own Season Planner or LLM configuration may leak in:
        # no key means the deterministic extraction parser and agent model.
        if not k.startswith(("PLANNER_", "OPENAI_", "PYTEST_", "DATABASE_URL", "REDIS_URL"))
    }
    return inherited | {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PLANNER_ENVIRONMENT": "test",
        "PLANNER_STREAM_PREFIX": stream_prefix,
        "PLANNER_CLAIM_IDLE_MS": str(CLAIM_IDLE_MS),
        "PLANNER_MAX_DELIVERIES": "5",
        "PLANNER_OUTBOX_POLL_SECONDS": "0.05",
        "PLANNER_LOG_JSON": "false",
        "PLANNER_LOG_LEVEL": "INFO",
        "PLANNER_FORECAST_WORKERS": "1",
        "PLANNER_GATEWAY_READER_BLOCK_MS": "200",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


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
    env: dict[str, str]
    log_dir: Path
    services: dict[str, ServiceProcess]

    @classmethod
    def create(cls, env: Mapping[str, str], log_dir: Path) -> Stack:
        log_dir.mkdir(parents=True, exist_ok=True)
        services = {
            name: ServiceProcess(name, free_port(), log_dir / f"{name}.log") for name in SERVICES
        }
        return cls(dict(env), log_dir, services)

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    @property
    def gateway_url(self) -> str:
        return self.services["gateway"].url

    def start(self, names: Iterable[str] = SERVICES) -> None:
        names = list(names)
        for name in names:
            self.services[name].start(self.env)
        self.wait_ready(names)

    def restart(self, name: str) -> None:
        self.services[name].stop()
        self.start([name])

    def wait_ready(
        self, names: Iterable[str] = SERVICES, timeout: float = READY_TIMEOUT_SECONDS
    ) -> None:
        pending = set(names)
        last: dict[str, str] = {}
        deadline = time.monotonic() + timeout
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
                        f"{', '.join(sorted(pending))} not ready after {timeout:.0f}s "
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

    def report(self, lines: int = LOG_TAIL_LINES) -> str:
        """Every service's state and log tail, for a failing test's output."""
        parts = []
        for s in self.services.values():
            code = None if s.process is None else s.process.poll()
            state = "running" if s.alive() else f"exited ({code})"
            parts.append(f"--- {s.name} ({state}, port {s.port}, {s.log_path}):\n{s.tail(lines)}")
        return "\n".join(parts)
