"""Fixtures of the end-to-end tests: per test module, a fresh database with the sample data,
a unique stream prefix, and the five services running as processes against them.

The servers come from the root conftest (`postgres_server`, `redis_server`): the machine's
PostgreSQL and Redis when they answer, private ones otherwise. When a test fails, every
service's log tail is attached to its report.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Generator, Iterator

import pytest
import redis

from planner_shared.testing import database as testdb

from .stack import REPO_ROOT, SAMPLE_DIR, Stack, service_env

SEED_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def e2e_database(postgres_server: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of this module's own: created, migrated to head, seeded with data/sample."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    name = f"planner_{module}_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(testdb.create_database(postgres_server, name))
    try:
        testdb.migrate(url)
        started = time.monotonic()
        seeded = subprocess.run(
            [sys.executable, "-m", "planner_shared.datasets.seed", "--dir", str(SAMPLE_DIR)],
            cwd=REPO_ROOT,
            env=service_env(
                database_url=url, redis_url="redis://unused", stream_prefix="unused", extra={}
            ),
            capture_output=True,
            text=True,
            timeout=SEED_TIMEOUT_SECONDS,
            check=False,
        )
        assert seeded.returncode == 0, f"seeding failed:\n{seeded.stdout}{seeded.stderr}"
        print(f"seeded {name} in {time.monotonic() - started:.1f}s:\n{seeded.stdout}")
        yield url
    finally:
        asyncio.run(testdb.drop_database(postgres_server, name))


@pytest.fixture(scope="module")
def e2e_stack(
    e2e_database: str, redis_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The five services, started and ready; always stopped (and the streams deleted) after."""
    prefix = f"e2e{uuid.uuid4().hex[:10]}"
    redis_url = f"{redis_server}/0"
    env = service_env(
        database_url=e2e_database, redis_url=redis_url, stream_prefix=prefix, extra={}
    )
    stack = Stack.create(env, tmp_path_factory.mktemp("e2e-logs"))
    try:
        started = time.monotonic()
        stack.start()
        print(f"five services ready in {time.monotonic() - started:.1f}s (logs {stack.log_dir})")
        yield stack
    finally:
        stack.stop_all()
        client = redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}.*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    stack = getattr(item, "funcargs", {}).get("e2e_stack")
    if report.failed and isinstance(stack, Stack):
        report.sections.append(("service logs (tails)", stack.report()))
    return report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make `--dist loadgroup` honour `xdist_group` again, so the e2e tests share one worker.

    pytest-xdist 3.8 groups tests by appending `@<group>` to their node ids in the worker, by
    writing `item._nodeid`; pytest 9.2 keeps node ids in `item._id`, so the suffix is lost
    and groups are silently ignored (pytest-dev/pytest-xdist#1386, fix pending in #1388).
    This does the same on the new field; it does nothing once xdist has added the suffix
    itself, and nothing outside an xdist worker of a loadgroup run.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # an older pytest: xdist's own suffix works there
        return
    for item in items:
        groups = sorted(
            {
                str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                for mark in item.iter_markers("xdist_group")
            }
        )
        suffix = "@" + "_".join(groups)
        if groups and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)
