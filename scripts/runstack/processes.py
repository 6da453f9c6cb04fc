"""Processes this tool starts: recognising them again from a pid file, stopping them, ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from planner_tools.testing.servers import free_port, port_open
from runstack.layout import StackError

STOP_GRACE_SECONDS = 15.0


def process_command(pid: int) -> str | None:
    """The command line of a live process, or None: a pid file alone proves nothing."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.exists():
        with contextlib.suppress(OSError):
            raw = proc.read_bytes()
            if not raw:  # a zombie: it has exited and waits for its parent
                return None
            return raw.replace(b"\0", b" ").decode(errors="replace")
    result = subprocess.run(
        ["ps", "-p", str(pid), "-o", "command="], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or None


def owned_pid(pid_file: Path, marker: str) -> int | None:
    """The pid recorded in `pid_file` if that process is alive and runs `marker`."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    command = process_command(pid)
    return pid if command is not None and marker in command else None


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command (field 2) may hold spaces and parentheses: split after its last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) the live processes of a group have used so far."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / ticks


def _alive(pid: int, group: bool) -> bool:
    if group and Path("/proc/self/stat").exists():
        # A service's worker processes (the forecast pool) share its group and must go too.
        return bool(group_members(pid))
    return process_command(pid) is not None


def stop_pid(pid: int, what: str, *, group: bool) -> None:
    kill = os.killpg if group else os.kill
    with contextlib.suppress(ProcessLookupError):
        kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline:
        if not _alive(pid, group):
            return
        time.sleep(0.1)
    print(f"  {what} (pid {pid}) ignored SIGTERM for {STOP_GRACE_SECONDS:.0f}s: killing it")
    with contextlib.suppress(ProcessLookupError):
        kill(pid, signal.SIGKILL)


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "    (no log yet)"
    tail = text.splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in tail) or "    (log is empty)"


def port_bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def preferred_port(default: int) -> int:
    return default if port_bindable(default) else free_port()


def wait_for_port(port: int, what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open("127.0.0.1", port):
            return
        time.sleep(0.1)
    raise StackError(
        f"{what} did not listen on port {port} within {timeout:.0f}s:\n{log_tail(log)}"
    )
