"""`make run` / `make status` / `make down` (scripts/run_local.py) against real servers.

The command itself runs as the Makefile runs it, on a throwaway database, this test's Redis
stream prefix and free ports: it migrates, seeds, starts the five services, waits for every
/ready and prints the docs URL and the API keys; a second `up` starts nothing; `down` stops
exactly what `up` started. Private PostgreSQL and Redis (a machine without them, or URLs
naming a port where nothing answers) start on the configured ports, are found again, move
port only when stopped, and stop.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis

from planner_shared.settings import PlannerSettings
from planner_tools.testing import database as testdb
from planner_tools.testing.servers import free_port, port_open

ROOT = Path(__file__).resolve().parents[1]
RUN_LOCAL = ROOT / "scripts" / "run_local.py"


def _scripts_module(name: str) -> ModuleType:
    # scripts/ is not a package of the workspace: `python scripts/run_local.py` puts it on
    # sys.path itself, so the tests do the same.
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module(name)


layout_mod = _scripts_module("runstack.layout")
infra = _scripts_module("runstack.infra")
services = _scripts_module("runstack.services")
processes = _scripts_module("runstack.processes")


@pytest.fixture
def layout(tmp_path: Path) -> ModuleType:
    return layout_mod.Layout(tmp_path / "var")


@pytest.fixture
def world_readable_layout() -> Iterator[ModuleType]:
    # The postgres system user must reach the cluster: pytest's tmp_path sits under a 0700
    # directory, so this one is made directly under /tmp.
    root = Path(tempfile.mkdtemp(prefix="planner-run-"))
    root.chmod(0o755)
    layout = layout_mod.Layout(root / "var")
    try:
        yield layout
    finally:
        infra.stop_private_redis(layout)
        infra.stop_private_postgres(layout)
        shutil.rmtree(root, ignore_errors=True)


def _service_env(settings: PlannerSettings) -> dict[str, str]:
    return dict(os.environ) | {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "PLANNER_STREAM_PREFIX": settings.stream_prefix,
        "PLANNER_LOG_JSON": "true",
    }


def _run_local(var: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN_LOCAL), "--var-dir", str(var), *args],
        env=env,
        capture_output=True,
        text=True,
        # `up` waits while the services make progress, up to its own cap: on a loaded
        # machine that is minutes, and a shorter limit here would fail a start that works.
        timeout=services.WAIT_CAP_SECONDS + 300,
        check=False,
    )


@pytest.fixture
def scratch_database(postgres_server: str) -> Iterator[tuple[str, str]]:
    """A database name nobody else uses, on the tests' server; dropped afterwards."""
    name = f"planner_run_{uuid.uuid4().hex[:10]}"
    yield postgres_server, name
    asyncio.run(testdb.drop_database(postgres_server, name))


@pytest.fixture
def scratch_streams(redis_server: str, stream_prefix: str) -> Iterator[str]:
    """This test's stream prefix; its streams and consumer groups are deleted afterwards."""
    yield stream_prefix
    client = redis.Redis.from_url(f"{redis_server}/0")
    keys = list(client.scan_iter(match=f"{stream_prefix}.*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.mark.e2e
# Five services on a loaded 2-core machine: 4 minutes to every /ready was measured at load 15.
@pytest.mark.timeout(1200)
def test_up_twice_status_and_down(
    tmp_path: Path,
    scratch_database: tuple[str, str],
    redis_server: str,
    scratch_streams: str,
) -> None:
    server, name = scratch_database
    var = tmp_path / "var"
    ports = {svc: free_port() for svc in services.SERVICES}
    env = dict(os.environ) | {
        "DATABASE_URL": f"{server}/{name}",
        "REDIS_URL": f"{redis_server}/0",
        "PLANNER_STREAM_PREFIX": scratch_streams,
        **{f"PLANNER_{svc.upper()}_PORT": str(port) for svc, port in ports.items()},
    }
    try:
        up = _run_local(var, env, "up", "--mode", "local")
        assert up.returncode == 0, up.stdout + up.stderr
        out = up.stdout
        # The first line names the configured port, not a fixed 8000; the end says how long
        # each service took.
        assert out.startswith(f"Season Planner console: http://127.0.0.1:{ports['gateway']}/")
        assert re.search(r"^  ready: (\w+ \d+s(, )?){5}$", out, re.M), out
        assert f"created database {name}" in out
        assert "migrate: done" in out
        assert re.search(r"historical_sales\s+\d+ rows: \d+ inserted", out), out
        assert f"API docs     http://127.0.0.1:{ports['gateway']}/docs" in out
        for key in ("dev-planner-key", "dev-approver-key", "dev-operator-key", "dev-admin-key"):
            assert key in out
        pids = {
            svc: int(m)
            for svc, m in re.findall(r"^  (\w+): started \(pid (\d+), port \d+\)$", out, re.M)
        }
        assert set(pids) == set(services.SERVICES)
        assert all(processes.group_members(pid) for pid in pids.values())
        for svc, port in ports.items():
            status, body = services.probe_ready(port)
            assert status == 200, (svc, body)
            assert f'"service":"{svc}"' in body
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['gateway']}/docs") as docs:
            assert docs.status == 200

        status = _run_local(var, env, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        for svc, pid in pids.items():
            assert re.search(rf"{svc}\s+:{ports[svc]}\s+ready\s+pid {pid}$", status.stdout, re.M)

        # Run again without the URLs: the running services' servers are reused, nothing
        # starts twice.
        bare = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        again = _run_local(var, bare, "up", "--mode", "local", "--no-seed")
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"{server}/{name} (as the running services)" in again.stdout
        assert "started (pid" not in again.stdout
        for svc, pid in pids.items():
            assert f"{svc}: already running (pid {pid})" in again.stdout

        elsewhere = env | {"REDIS_URL": f"{redis_server}/5"}
        refused = _run_local(var, elsewhere, "up", "--mode", "local")
        assert refused.returncode == 1
        assert "the running services use REDIS_URL" in refused.stderr
    finally:
        down = _run_local(var, env, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert down.stdout.count("(pid ") == len(services.SERVICES)
    assert "private" not in down.stdout  # the tests' servers are not ours to stop
    # Each service's whole process group is gone (the forecast workers with their parent).
    assert not any(processes.group_members(pid) for pid in pids.values())
    assert not any(port_open("127.0.0.1", port) for port in ports.values())
    tests_server = urlsplit(server)
    assert port_open(tests_server.hostname or "", tests_server.port or 5432)
    assert not list((var / "run").glob("*"))


def test_a_service_that_dies_is_named_with_the_tail_of_its_log(
    layout: ModuleType, settings: PlannerSettings
) -> None:
    ports = {"approvals": 0}  # refused by the settings: the process exits at once
    started = services.start_services(layout, _service_env(settings), ports, ["approvals"])
    with pytest.raises(layout_mod.StackError) as caught:
        services.wait_ready(layout, started, ports, timeout=60)
    message = str(caught.value)
    assert message.startswith("approvals exited with code 1 before it was ready")
    assert str(layout.log_file("approvals")) in message
    assert "greater than or equal to 1" in message  # the settings' own complaint, from the log
    assert not layout.pid_file("approvals").exists()


def test_a_port_taken_by_someone_else_is_refused_by_name(
    layout: ModuleType, settings: PlannerSettings
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(layout_mod.StackError, match=f"gateway: port {port} is taken"):
            services.start_services(layout, _service_env(settings), {"gateway": port}, ["gateway"])
    assert not layout.pid_file("gateway").exists()


def test_a_remote_url_where_nothing_answers_is_refused(layout: ModuleType) -> None:
    # Not loopback as the private servers listen (127.0.0.1): no server can stand in.
    url = f"postgresql+asyncpg://postgres@127.0.0.2:{free_port()}/x"
    refused = r"DATABASE_URL names 127\.0\.0\.2:\d+ but nothing answers"
    with pytest.raises(layout_mod.StackError, match=refused):
        infra.ensure_infra(layout, infra.Configured(url, "DATABASE_URL"), None)
    assert not layout.postgres_dir.exists()


def _private_urls(user: str) -> tuple[Any, Any]:
    pg_port, redis_port = free_port(), free_port()
    return (
        infra.Configured(
            f"postgresql+asyncpg://{user}@127.0.0.1:{pg_port}/planner", "DATABASE_URL"
        ),
        infra.Configured(f"redis://127.0.0.1:{redis_port}/2", "REDIS_URL"),
    )


def _select_one(database_url: str) -> int:
    async def query() -> int:
        conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            value: int = await conn.fetchval("SELECT 1")
        finally:
            await conn.close()
        return value

    return asyncio.run(query())


def _ping(url: str) -> bool:
    client = redis.Redis.from_url(url)
    try:
        return bool(client.ping())
    finally:
        client.close()


def test_private_servers_take_the_configured_ports_are_found_again_and_stop(
    world_readable_layout: ModuleType,
) -> None:
    layout = world_readable_layout
    layout.prepare()
    database, bus = _private_urls("planner")
    found = infra.ensure_infra(layout, database, bus)
    assert (found.database_url, found.redis_url) == (database.url, bus.url)
    assert found.postgres_origin == f"DATABASE_URL; private, data in {layout.postgres_dir}"
    assert found.redis_origin == f"REDIS_URL; private, data in {layout.redis_dir}"
    assert asyncio.run(infra.create_database_if_missing(database.url)) is True
    assert asyncio.run(infra.create_database_if_missing(database.url)) is False
    assert _select_one(database.url) == 1  # as the URL's own user, created for it
    assert _ping(bus.url)

    # Found again: nothing restarts (same postmaster, same redis pid).
    postmaster = (layout.postgres_dir / "postmaster.pid").read_text().split()[0]
    redis_pid = infra.private_redis_pid(layout)
    assert infra.ensure_infra(layout, database, bus) == found
    assert (layout.postgres_dir / "postmaster.pid").read_text().split()[0] == postmaster
    assert infra.private_redis_pid(layout) == redis_pid

    # A running private server does not jump to another port under the services' feet.
    moved_db, moved_bus = _private_urls("postgres")
    with pytest.raises(layout_mod.StackError, match=r"runs on port .*`make down` first"):
        infra.ensure_infra(layout, moved_db, None)

    pg_port = infra.private_postgres_port(layout)
    redis_port = infra.private_redis_port(layout)
    assert infra.stop_private_redis(layout) is True
    assert infra.stop_private_postgres(layout) is True
    assert infra.stop_private_redis(layout) is False
    assert infra.stop_private_postgres(layout) is False
    assert not port_open("127.0.0.1", pg_port)
    assert not port_open("127.0.0.1", redis_port)

    # Unconfigured (SERVERS=private), the stopped servers start again on the ports they have.
    default = infra.ensure_infra(layout, None, None, private=True)
    server = f"postgresql+asyncpg://postgres@127.0.0.1:{pg_port}"
    assert default.database_url == f"{server}/{infra.DATABASE_NAME}"
    assert default.redis_url == f"redis://127.0.0.1:{redis_port}/0"
    assert default.postgres_origin == f"private, data in {layout.postgres_dir}"
    assert asyncio.run(infra.create_database_if_missing(default.database_url)) is True
    assert _select_one(default.database_url) == 1
    infra.stop_private_redis(layout)
    infra.stop_private_postgres(layout)

    # Stopped, they move to the ports configured now, keeping their data.
    infra.ensure_infra(layout, moved_db, moved_bus)
    assert _select_one(moved_db.url) == 1  # the database made on the first port is still there
    assert _ping(moved_bus.url)
    assert infra.private_postgres_port(layout) == urlsplit(moved_db.url).port
    assert infra.private_redis_port(layout) == urlsplit(moved_bus.url).port


def test_a_data_dir_the_postgres_user_cannot_reach_is_refused_by_name() -> None:
    root = Path(tempfile.mkdtemp(prefix="planner-closed-"))  # mkdtemp makes it 0700
    try:
        data = root / "var" / "postgres"
        closed = re.escape(f"{root} is closed to other users (mode 700)")
        with pytest.raises(layout_mod.StackError, match=closed):
            infra._refuse_unreachable_data_dir(data)
        root.chmod(0o755)
        infra._refuse_unreachable_data_dir(data)  # open all the way down from /: accepted
    finally:
        shutil.rmtree(root)
