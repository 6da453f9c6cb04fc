"""Fixtures every test tier shares: real PostgreSQL and Redis, isolated per worker and test.

Each pytest-xdist worker gets its own database (migrated once); each test gets a unique
stream prefix and starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import pytest
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from planner_shared.db.base import Base
from planner_shared.db.engine import create_engine, create_sessionmaker
from planner_shared.settings import (
    READ_DOTENV,
    Environment,
    PlannerSettings,
    ServiceSettings,
)
from planner_tools.testing import database as testdb
from planner_tools.testing.servers import find_or_start_postgres, find_or_start_redis

# A developer's own .env (other ports, an OpenAI key) must not decide a test; the processes
# tests start inherit this too. A test of .env reading passes `_env_file=` or clears it.
os.environ[READ_DOTENV] = "0"

S = TypeVar("S", bound=ServiceSettings)
ServiceSettingsFactory = Callable[..., Any]


@pytest.fixture(scope="session")
def worker_id_tag(request: pytest.FixtureRequest) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{worker}_{os.getpid()}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    return find_or_start_postgres()


@pytest.fixture(scope="session")
def redis_server() -> str:
    return find_or_start_redis()


@pytest.fixture(scope="session")
def database_url(postgres_server: str, worker_id_tag: str) -> Iterator[str]:
    name = f"planner_test_{worker_id_tag}"
    url = asyncio.run(testdb.create_database(postgres_server, name))
    testdb.migrate(url)
    yield url
    asyncio.run(testdb.drop_database(postgres_server, name))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def clean_db(database_url: str) -> None:
    """Start every test from empty tables: handlers under test commit for real."""
    await testdb.truncate_all(database_url, [t.name for t in Base.metadata.sorted_tables])


@pytest.fixture
async def sessionmaker(engine: AsyncEngine, clean_db: None) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def stream_prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(database_url: str, redis_server: str, stream_prefix: str) -> PlannerSettings:
    return PlannerSettings(
        environment=Environment.TEST,
        database_url=database_url,
        redis_url=f"{redis_server}/0",
        stream_prefix=stream_prefix,
        claim_idle_ms=300,
        max_deliveries=3,
        outbox_poll_seconds=0.05,
        log_json=False,
    )


@pytest.fixture
async def redis_client(settings: PlannerSettings) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(settings.redis_url)
    yield client
    keys = [k async for k in client.scan_iter(match=f"{settings.stream_prefix}.*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def service_settings(settings: PlannerSettings) -> ServiceSettingsFactory:
    """Build any service's settings class on this test's database, Redis and prefix."""

    def build(cls: type[PlannerSettings] = ServiceSettings, **overrides: object) -> PlannerSettings:
        return cls(**(settings.model_dump() | overrides))

    return build
