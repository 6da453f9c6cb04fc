"""The five services as background processes: start once, wait for /ready, stop."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from planner_shared.settings import ServiceSettings
from planner_tools.testing.servers import port_open
from runstack.layout import ROOT, Layout, StackError
from runstack.processes import log_tail, owned_pid, process_command, stop_pid

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


def wait_ready(
    layout: Layout, started: Mapping[str, Started], ports: Mapping[str, int], timeout: float
) -> None:
    """Until every /ready answers 200; a service that dies or stays unready names itself."""
    pending = dict(started)
    last: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while pending:
        for name, proc in list(pending.items()):
            status, body = probe_ready(ports[name])
            if status == 200:
                del pending[name]
                continue
            last[name] = f"HTTP {status}: {body[:200]}" if status else body
            if not proc.alive():
                code = proc.exit_code()
                layout.pid_file(name).unlink(missing_ok=True)
                raise StackError(
                    f"{name} exited{f' with code {code}' if code is not None else ''} before it "
                    f"was ready; last lines of {layout.log_file(name)}:\n"
                    f"{log_tail(layout.log_file(name))}"
                )
        if not pending:
            return
        if time.monotonic() > deadline:
            name = sorted(pending)[0]
            raise StackError(
                f"{', '.join(sorted(pending))} not ready after {timeout:.0f}s "
                f"({name} last answered: {last.get(name, 'nothing')}); "
                f"last lines of {layout.log_file(name)}:\n{log_tail(layout.log_file(name))}"
            )
        time.sleep(0.25)


def stop_services(layout: Layout) -> list[str]:
    stopped = []
    for name, pid in running_services(layout).items():
        stop_pid(pid, name, group=True)
        stopped.append(f"{name} (pid {pid})")
    for name in SERVICES:
        layout.pid_file(name).unlink(missing_ok=True)
    return stopped
