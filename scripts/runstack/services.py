"""The five services as background processes: start once, wait for /ready, stop."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from planner_shared.settings import ServiceSettings
from planner_tools.testing.servers import port_open
from runstack.layout import ROOT, Layout, StackError
from runstack.processes import (
    group_cpu_seconds,
    log_tail,
    owned_pid,
    process_command,
    stop_pid,
)

SERVICES = ("gateway", "extraction", "forecast", "agents", "approvals")


def service_settings_class(name: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"planner_{name}.settings")
    cls: type[ServiceSettings] = getattr(module, f"{name.capitalize()}Settings")
    return cls


def configured_ports() -> dict[str, int]:
    """Each service's port as its own settings read it (PLANNER_<SVC>_PORT, .env, default)."""
    return {name: service_settings_class(name)().port for name in SERVICES}


def service_marker(name: str) -> str:
    return f"-m planner_{name}"


def running_services(layout: Layout) -> dict[str, int]:
    found = {}
    for name in SERVICES:
        pid = owned_pid(layout.pid_file(name), service_marker(name))
        if pid is not None:
            found[name] = pid
    return found


@dataclass
class Started:
    pid: int
    process: subprocess.Popen[bytes] | None  # None: it was already running before this call

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return process_command(self.pid) is not None

    def exit_code(self) -> int | None:
        return self.process.poll() if self.process is not None else None


def start_services(
    layout: Layout,
    env: Mapping[str, str],
    ports: Mapping[str, int],
    names: Sequence[str] = SERVICES,
) -> dict[str, Started]:
    """Start each service not already running; a running one is left alone."""
    layout.prepare()
    running = running_services(layout)
    started: dict[str, Started] = {}
    for name in names:
        if name in running:
            print(f"  {name}: already running (pid {running[name]})")
            started[name] = Started(running[name], None)
            continue
        port = ports[name]
        if port_open("127.0.0.1", port):
            raise StackError(
                f"{name}: port {port} is taken by a process this script did not start; "
                f"stop it or set PLANNER_{name.upper()}_PORT"
            )
        child_env = dict(env) | {f"PLANNER_{name.upper()}_PORT": str(port)}
        with layout.log_file(name).open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", f"planner_{name}"],
                cwd=ROOT,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives `make run`; its own group for `down`
            )
        layout.pid_file(name).write_text(f"{process.pid}\n")
        print(f"  {name}: started (pid {process.pid}, port {port})")
        started[name] = Started(process.pid, process)
    return started


def probe_ready(port: int) -> tuple[int | None, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (OSError, ValueError) as exc:
        return None, str(exc)


# `make run` waits for as long as the services show progress (their log grows, their /ready
# answer changes, their processes use CPU), up to a generous cap: a busy 2-core machine can
# take minutes to import and warm the forecast models, and a fixed short wait failed there.
WAIT_CAP_SECONDS = 900.0
STALL_SECONDS = 180.0
REPORT_EVERY_SECONDS = 15.0
_SECONDS = re.compile(r"\d+(?:\.\d+)?s\b")


class SlowStartError(StackError):
    """Services still not ready when the wait ended; they may be starting still."""

    def __init__(self, message: str, pending: Sequence[str]) -> None:
        super().__init__(message)
        self.pending = list(pending)


@dataclass
class _Watch:
    """What was last seen of one service, to tell progress from a stall."""

    answer: str = "not listening yet"
    log_size: int = -1
    cpu: float = 0.0
    moved: float = field(default_factory=time.monotonic)

    def see(self, answer: str, log_size: int, cpu: float, now: float) -> None:
        if (
            _SECONDS.sub("", answer) != _SECONDS.sub("", self.answer)
            or log_size != self.log_size
            or cpu > self.cpu + 0.05
        ):
            self.moved = now
        self.answer, self.log_size, self.cpu = answer, log_size, cpu


def describe_answer(status: int | None, body: str) -> str:
    """A not-ready service's state in a few words: not listening, or what /ready says."""
    if status is None:
        return "not listening yet"
    try:
        checks = json.loads(body).get("checks", {})
    except (ValueError, AttributeError):
        checks = {}
    failing = [
        f"{name}: {str(value).removeprefix('error: ')}"
        for name, value in checks.items()
        if value != "ok"
    ]
    return f"listening, /ready {status}" + (f" ({'; '.join(failing)})" if failing else "")


def machine_load() -> str:
    try:
        load = os.getloadavg()[0]
    except OSError:
        return ""
    return f"load {load:.1f} on {os.cpu_count() or 1} cores"


def wait_ready(
    layout: Layout,
    started: Mapping[str, Started],
    ports: Mapping[str, int],
    timeout: float = WAIT_CAP_SECONDS,
    *,
    stall: float = STALL_SECONDS,
    report_every: float = REPORT_EVERY_SECONDS,
    say: Callable[[str], None] = print,
) -> dict[str, float]:
    """Until every /ready answers 200, for as long as each pending service shows progress
    (at most `timeout` s; `stall` s without any progress ends the wait), saying every
    `report_every` s what is still starting and why. Returns each service's seconds to ready.

    A service that dies names itself with the tail of its log (StackError); one still not
    ready at the end raises SlowStartError naming what it last said.
    """
    began = time.monotonic()
    pending = dict(started)
    watches = {name: _Watch(moved=began) for name in pending}
    took: dict[str, float] = {}
    next_report = began + report_every
    while pending:
        now = time.monotonic()
        for name, proc in list(pending.items()):
            status, body = probe_ready(ports[name])
            if status == 200:
                took[name] = now - began
                del pending[name]
                continue
            if not proc.alive():
                code = proc.exit_code()
                layout.pid_file(name).unlink(missing_ok=True)
                raise StackError(
                    f"{name} exited{f' with code {code}' if code is not None else ''} before it "
                    f"was ready; last lines of {layout.log_file(name)}:\n"
                    f"{log_tail(layout.log_file(name))}"
                )
            log_file = layout.log_file(name)
            size = log_file.stat().st_size if log_file.exists() else 0
            watches[name].see(describe_answer(status, body), size, group_cpu_seconds(proc.pid), now)
        if not pending:
            break
        stalled = [n for n in pending if now - watches[n].moved > stall]
        if stalled or now - began > timeout:
            why = (
                f"no progress for {stall:.0f}s"
                if stalled
                else f"still starting after {timeout:.0f}s"
            )
            name = (stalled or sorted(pending))[0]
            raise SlowStartError(
                f"{', '.join(sorted(pending))} not ready ({why}; {name}: {watches[name].answer}); "
                f"last lines of {layout.log_file(name)}:\n{log_tail(layout.log_file(name))}",
                sorted(pending),
            )
        if now >= next_report:
            next_report = now + report_every
            slow = "; ".join(f"{n} ({watches[n].answer})" for n in sorted(pending))
            say(f"  still starting after {now - began:.0f}s: {slow}  [{machine_load()}]")
        time.sleep(0.25)
    say(
        "  ready: "
        + ", ".join(
            f"{name} {seconds:.0f}s" for name, seconds in sorted(took.items(), key=lambda i: i[1])
        )
    )
    return took


def stop_services(layout: Layout) -> list[str]:
    stopped = []
    for name, pid in running_services(layout).items():
        stop_pid(pid, name, group=True)
        stopped.append(f"{name} (pid {pid})")
    for name in SERVICES:
        layout.pid_file(name).unlink(missing_ok=True)
    return stopped
