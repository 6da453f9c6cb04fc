"""Docker Compose, used by `make run` where a Docker engine answers."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time

from runstack.layout import ROOT, StackError
from runstack.services import SERVICES


def docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    with contextlib.suppress(subprocess.TimeoutExpired):
        return subprocess.run(["docker", "info"], capture_output=True, timeout=15).returncode == 0
    return False


def compose_command() -> list[str] | None:
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]) is None:
            continue
        if subprocess.run([*cmd, "version"], capture_output=True, check=False).returncode == 0:
            return cmd
    return None


def compose_health(compose: list[str], name: str) -> str:
    ids = subprocess.run(
        [*compose, "ps", "-a", "-q", name], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    if not ids:
        return "missing"
    fmt = "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}"
    result = subprocess.run(
        ["docker", "inspect", "-f", fmt, ids[0]], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def compose_up(compose: list[str], timeout: float) -> None:
    # `up --wait` is not used: some Compose versions treat the finished one-shot migrate and
    # seed containers as failures (docker/compose#10596).
    if subprocess.run([*compose, "up", "-d", "--build"], cwd=ROOT, check=False).returncode != 0:
        raise StackError("`docker compose up -d --build` failed (see its output above)")
    deadline = time.monotonic() + timeout
    pending = list(SERVICES)
    while pending:
        states = {name: compose_health(compose, name) for name in pending}
        pending = [name for name, state in states.items() if state != "healthy"]
        broken = [name for name, state in states.items() if state in ("unhealthy", "exited")]
        if broken or (pending and time.monotonic() > deadline):
            name = (broken or pending)[0]
            logs = subprocess.run(
                [*compose, "logs", "--tail", "25", name],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            raise StackError(f"{name} is {states[name]} in Docker Compose; its last lines:\n{logs}")
        time.sleep(1)
