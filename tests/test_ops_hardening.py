"""Issue 12, points 2 and 8 on the operator's side: `make run` says loudly when its Redis
keeps nothing, and `make down` leaves no worker of a killed service behind."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
import redis

from planner_tools.testing.outage import PrivateRedis

ROOT = Path(__file__).resolve().parents[1]


def _run_local() -> ModuleType:
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module("run_local")


# A service that starts one worker in its process group, as the forecast pool does.
LEADER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print(child.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_down_kills_the_workers_a_killed_service_left(tmp_path: Path) -> None:
    run_local = _run_local()
    leader = subprocess.Popen(
        [sys.executable, "-c", LEADER], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert leader.stdout is not None
    worker = int(leader.stdout.readline())
    try:
        leader.send_signal(signal.SIGKILL)
        leader.wait(10)
        assert _alive(worker), "the worker should outlive a kill -9 of its service"
        assert run_local.stop_stragglers([leader.pid]) == 1
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker)
        # Nothing of anyone else's is touched: a group with none of ours left is a no-op.
        assert run_local.stop_stragglers([leader.pid, os.getpid() + 10_000_000]) == 0
    finally:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)
        leader.stdout.close()


@pytest.mark.parametrize("save", ["", "900 1"])
def test_up_warns_when_its_redis_keeps_nothing(
    save: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_local = _run_local()
    with PrivateRedis() as server:
        client = redis.Redis.from_url(server.url)
        client.config_set("save", save)
        client.close()
        run_local.warn_if_redis_forgets(server.url)
    printed = capsys.readouterr().out
    if not save:
        assert "keeps NOTHING on disk" in printed
        assert "SERVERS=private" in printed
    else:
        assert printed == ""
