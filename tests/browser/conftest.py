"""Fixtures of the browser tests: the console built, the five services running as processes on
a fresh database with the sample data, and headless Chromium (Debian's, driven by Playwright)
with a fresh profile.

Screenshots go to `PLANNER_SCREENSHOT_DIR` when it is set (the README's come from
`PLANNER_SCREENSHOT_DIR=docs/console make test`), else to the test's temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect, sync_playwright

from planner_tools.testing import database as testdb
from planner_tools.testing.stack import Stack, seed_database

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "data" / "sample"
CHROMIUM = os.environ.get("PLANNER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Two cores shared with the five services (and, in `make test`, another test worker): give a
# screen time to load before an assertion about it fails.
expect.set_options(timeout=20_000)

SETTINGS = {
    "PLANNER_CLAIM_IDLE_MS": "1500",
    "PLANNER_OUTBOX_POLL_SECONDS": "0.05",
    "PLANNER_LOG_JSON": "false",
    "PLANNER_LOG_LEVEL": "INFO",
    "PLANNER_FORECAST_WORKERS": "1",
    "PLANNER_GATEWAY_READER_BLOCK_MS": "200",
}


@pytest.fixture(scope="module")
def console_build() -> Path:
    """The built console, as `make console` builds it (a no-op when it is up to date)."""
    subprocess.run(["bash", str(ROOT / "scripts" / "console.sh"), "build"], check=True, timeout=600)
    index = ROOT / "console" / "dist" / "index.html"
    assert index.is_file(), "the console did not build"
    return index.parent


def running_stack(
    console_build: Path,
    postgres_server: str,
    redis_server: str,
    tmp_path_factory: pytest.TempPathFactory,
    settings: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """The five services on a fresh database seeded with the sample; `settings` on top of
    SETTINGS (a module whose screens do not depend on the forecast's models may pick faster
    ones)."""
    name = f"planner_browser_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(testdb.create_database(postgres_server, name))
    stack = Stack.create(
        database_url=url,
        redis_url=f"{redis_server}/0",
        stream_prefix=f"br{uuid.uuid4().hex[:10]}",
        log_dir=tmp_path_factory.mktemp("browser-logs"),
        settings=SETTINGS | {"PLANNER_GATEWAY_CONSOLE_DIR": str(console_build)} | (settings or {}),
        # The forecast service warms up (numba compiles) before it is ready: slow when cold.
        ready_timeout=300,
    )
    try:
        testdb.migrate(url)
        seed_database(url, SAMPLE_DIR, tmp_path_factory.mktemp("browser-seed"))
        stack.start()
        yield stack
    finally:
        try:
            stack.stop_all()
        finally:
            stack.delete_streams()
            asyncio.run(testdb.drop_database(postgres_server, name))


@pytest.fixture(scope="module")
def browser_stack(
    console_build: Path,
    postgres_server: str,
    redis_server: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    yield from running_stack(console_build, postgres_server, redis_server, tmp_path_factory)


@pytest.fixture(scope="module")
def playwright(browser_stack: Stack) -> Iterator[Playwright]:
    # After the stack: sync Playwright runs an event loop in this thread while it lives, and
    # the stack's fixture needs asyncio.run() for the database.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """Chromium with a fresh profile of its own (so no cookie survives from another test)."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1360, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        context.close()


class Shots:
    """Full-page screenshots, named in the order they are taken."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def take(self, page: Page, name: str) -> Path:
        path = self.directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(tmp_path: Path) -> Shots:
    chosen = os.environ.get("PLANNER_SCREENSHOT_DIR")
    return Shots(Path(chosen).resolve() if chosen else tmp_path / "screenshots")


def wait_for(predicate: object, within: float, what: str, every: float = 0.5) -> object:
    deadline = time.monotonic() + within
    last: object = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what}: not within {within:.0f}s (last {last!r})")
