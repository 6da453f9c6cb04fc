"""Fixtures of the end-to-end tests: per test module, a fresh database with the sample data,
a unique stream prefix, and the five services running as processes against them.

The servers come from the root conftest (`postgres_server`, `redis_server`): the machine's
PostgreSQL and Redis when they answer, private ones otherwise. When a test fails, every
service's log tail is attached to its report.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Generator, Iterator

import pytest

from planner_tools.testing import database as testdb
from planner_tools.testing.stack import Stack, seed_database

from .season import SAMPLE_DIR

# Short bus timings so a killed service's pending messages are claimed by its replacement
# within seconds, not the production 30 s. Long enough that a busy 2-core machine does not
# make a live consumer's own in-flight message look abandoned.
E2E_SETTINGS = {
    "PLANNER_CLAIM_IDLE_MS": "1500",
    "PLANNER_MAX_DELIVERIES": "5",
    "PLANNER_OUTBOX_POLL_SECONDS": "0.05",
    "PLANNER_LOG_JSON": "false",
    "PLANNER_LOG_LEVEL": "INFO",
    "PLANNER_FORECAST_WORKERS": "1",
    "PLANNER_GATEWAY_READER_BLOCK_MS": "200",
}


@pytest.fixture(scope="module")
def e2e_database(
    postgres_server: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of this module's own: created, migrated to head, seeded with data/sample."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    name = f"planner_{module}_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(testdb.create_database(postgres_server, name))
    try:
        testdb.migrate(url)
        started = time.monotonic()
        output = seed_database(url, SAMPLE_DIR, tmp_path_factory.mktemp("e2e-seed"))
        print(f"seeded {name} in {time.monotonic() - started:.1f}s:\n{output}")
        yield url
    finally:
        asyncio.run(testdb.drop_database(postgres_server, name))


@pytest.fixture(scope="module")
def e2e_stack(
    e2e_database: str, redis_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The five services, started and ready; always stopped (and the streams deleted) after."""
    stack = Stack.create(
        database_url=e2e_database,
        redis_url=f"{redis_server}/0",
        stream_prefix=f"e2e{uuid.uuid4().hex[:10]}",
        log_dir=tmp_path_factory.mktemp("e2e-logs"),
        settings=E2E_SETTINGS,
    )
    try:
        started = time.monotonic()
        stack.start()
        print(f"five services ready in {time.monotonic() - started:.1f}s (logs {stack.log_dir})")
        yield stack
    finally:
        try:
            stack.stop_all()
        finally:
            stack.delete_streams()


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
