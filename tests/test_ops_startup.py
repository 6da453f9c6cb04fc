"""A newcomer's first `make run`: the wait follows progress, the address and keys are always
printed, ports set in `.env` are used everywhere, and the tests never read a developer's `.env`.

The services here are tiny stand-ins (a Python process that logs, listens late and warms
up): what is tested is how `wait_ready` judges them, in seconds rather than minutes.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import textwrap
from concurrent.futures import Future
from pathlib import Path
from types import ModuleType
from typing import Protocol

import pytest

from planner_forecast.app import WarmUp
from planner_shared.settings import READ_DOTENV
from planner_tools.testing.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text()


def _scripts_module(name: str) -> ModuleType:
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module(name)


layout_mod = _scripts_module("runstack.layout")
services = _scripts_module("runstack.services")
run_local = _scripts_module("run_local")
demo = _scripts_module("demo")

# A stand-in service: logs a line every 0.2 s while "importing", listens after LISTEN_AFTER
# seconds, answers /ready 503 ("warming up") until READY_AFTER, then 200.
_SLOW_SERVICE = textwrap.dedent(
    """
    import http.server, json, sys, time
    port, listen_after, ready_after = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    began = time.monotonic()
    while time.monotonic() - began < listen_after:
        print("importing", flush=True)
        time.sleep(0.2)

    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            warm = time.monotonic() - began >= ready_after
            checks = {"database": "ok", "model_workers": "ok" if warm else
                      f"error: warming up ({time.monotonic() - began:.0f}s)"}
            body = json.dumps({"checks": checks}).encode()
            self.send_response(200 if warm else 503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            print("request", flush=True)

    http.server.HTTPServer(("127.0.0.1", port), Ready).serve_forever()
    """
)


class _Started(Protocol):
    """What the runner's `Started` (a script's module, untyped here) holds of its process."""

    process: subprocess.Popen[bytes]


def _start(layout: ModuleType, name: str, args: list[str]) -> _Started:
    layout.prepare()
    log = layout.log_file(name).open("ab")
    process = subprocess.Popen(
        [sys.executable, *args], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    started: _Started = services.Started(process.pid, process)
    return started


@pytest.fixture
def layout(tmp_path: Path) -> ModuleType:
    return layout_mod.Layout(tmp_path / "var")


def _stop(started: _Started) -> None:
    process = started.process
    process.kill()
    process.wait(timeout=10)


def test_a_slow_service_that_makes_progress_is_waited_for(layout: ModuleType) -> None:
    port = free_port()
    script = ["-c", _SLOW_SERVICE, str(port), "2", "5"]
    started = _start(layout, "forecast", script)
    said: list[str] = []
    try:
        took = services.wait_ready(
            layout,
            {"forecast": started},
            {"forecast": port},
            stall=1.5,
            report_every=1,
            say=said.append,
        )
    finally:
        _stop(started)
    # Ready after 5 s although nothing answered for 2 s and /ready said 503 for 3 s more: a
    # 1.5 s stall limit did not end the wait, because the log grew and /ready kept talking.
    assert took["forecast"] >= 4.5
    assert any("not listening yet" in line for line in said), said
    assert any("listening, /ready 503 (model_workers: warming up (" in s for s in said), said
    assert re.search(r"load \d+\.\d on \d+ cores", " ".join(said))
    assert said[-1].startswith("  ready: forecast ")


def test_a_service_that_stalls_is_named_with_what_it_last_said(layout: ModuleType) -> None:
    port = free_port()
    # Silent and idle: no log line, no CPU, never listening.
    started = _start(layout, "agents", ["-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(services.SlowStartError) as caught:
            services.wait_ready(
                layout, {"agents": started}, {"agents": port}, stall=2, say=lambda _: None
            )
    finally:
        _stop(started)
    assert caught.value.pending == ["agents"]
    assert str(caught.value).startswith(
        "agents not ready (no progress for 2s; agents: not listening yet)"
    )


def test_the_cap_ends_even_a_busy_wait(layout: ModuleType) -> None:
    port = free_port()
    started = _start(layout, "forecast", ["-c", _SLOW_SERVICE, str(port), "60", "60"])
    try:
        with pytest.raises(services.SlowStartError, match=r"still starting after 2s"):
            services.wait_ready(
                layout, {"forecast": started}, {"forecast": port}, 2, say=lambda _: None
            )
    finally:
        _stop(started)


def test_the_address_and_keys_are_printed_even_when_not_ready(
    layout: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    ports = {name: 18000 + i for i, name in enumerate(services.SERVICES)}
    run_local.print_summary(
        "local processes", ports, layout, None, not_ready="forecast not ready (no progress)\nx"
    )
    out = capsys.readouterr().out
    assert "Season Planner is NOT fully up (local processes): forecast not ready" in out
    assert "Console      http://127.0.0.1:18000/" in out
    for key in ("dev-planner-key", "dev-approver-key", "dev-operator-key"):
        assert key in out
    assert "make status" in out


def test_run_waits_on_progress_with_a_generous_cap() -> None:
    parsed = run_local.build_parser().parse_args(["up"])
    assert parsed.timeout == services.WAIT_CAP_SECONDS >= 600
    # The first line of `make run` is the script's, from the configured port, not a fixed 8000.
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert recipe is not None
    assert "8000" not in recipe.group(1)
    source = (ROOT / "scripts" / "run_local.py").read_text()
    assert 'print(f"Season Planner console: http://127.0.0.1:{gateway_port}/' in source


def test_ports_set_in_dotenv_are_used_by_run_and_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "PLANNER_GATEWAY_PORT=18123\nPLANNER_GATEWAY_PUBLISHED_PORT=18124\n"
    )
    for variable in (READ_DOTENV, "PLANNER_GATEWAY_PORT", "PLANNER_GATEWAY_PUBLISHED_PORT"):
        monkeypatch.delenv(variable, raising=False)
    assert demo.default_base_url(tmp_path) == "http://127.0.0.1:18123"
    assert run_local.published_gateway_port(tmp_path) == 18124
    layout_mod.Layout(tmp_path / "var").write_state(mode="docker")
    assert demo.default_base_url(tmp_path) == "http://127.0.0.1:18124"
    # The environment wins over .env, as everywhere else.
    monkeypatch.setenv("PLANNER_GATEWAY_PUBLISHED_PORT", "18125")
    assert demo.default_base_url(tmp_path) == "http://127.0.0.1:18125"


_SHOW_SETTINGS = (
    "from planner_gateway.settings import GatewaySettings; "
    "from planner_shared.settings import OpenAISettings; "
    "print(GatewaySettings().port, OpenAISettings().configured)"
)


def test_tests_never_read_the_developers_dotenv(tmp_path: Path) -> None:
    assert os.environ[READ_DOTENV] == "0"  # set by the root conftest for every test process
    (tmp_path / ".env").write_text("PLANNER_GATEWAY_PORT=18123\nOPENAI_API_KEY=sk-developer\n")
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PLANNER_GATEWAY_PORT", "OPENAI_API_KEY", READ_DOTENV)
    }

    def settings_in(env: dict[str, str]) -> str:
        return subprocess.run(
            [sys.executable, "-c", _SHOW_SETTINGS],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()

    # A developer's process reads its .env; a test process (and what it starts) does not.
    assert settings_in(clean) == "18123 True"
    assert settings_in(clean | {READ_DOTENV: "0"}) == "8000 False"


def test_the_forecast_warm_up_is_reported_not_waited_for() -> None:
    first: Future[float] = Future()
    second: Future[float] = Future()
    warming = WarmUp([first, second])
    problem = warming.problem()
    assert problem is not None
    assert problem.startswith("warming up the model workers (0 of 2 warm, ")
    first.set_result(1.0)
    assert (warming.problem() or "").startswith("warming up the model workers (1 of 2 warm")
    second.set_result(1.0)
    assert warming.problem() is None
    broken: Future[float] = Future()
    broken.set_exception(ImportError("no statsforecast"))
    assert WarmUp([broken]).problem() == (
        "model worker warm-up failed: ImportError: no statsforecast"
    )
