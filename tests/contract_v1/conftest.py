"""The running stack of the contract v1 suite: a fresh seeded database, a unique stream
prefix, and the five services as processes (planner_tools.testing.stack), as the e2e
tests start them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner_tools.testing import database as testdb
from planner_tools.testing.stack import Stack, seed_database

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"
SETTINGS = {
    "PLANNER_OUTBOX_POLL_SECONDS": "0.05",
    "PLANNER_LOG_JSON": "false",
    "PLANNER_FORECAST_WORKERS": "1",
    "PLANNER_GATEWAY_READER_BLOCK_MS": "200",
}


@pytest.fixture(scope="module")
def v1_stack(
    postgres_server: str, redis_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    name = f"planner_contract_v1_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(testdb.create_database(postgres_server, name))
    stack = Stack.create(
        database_url=url,
        redis_url=f"{redis_server}/0",
        stream_prefix=f"v1{uuid.uuid4().hex[:10]}",
        log_dir=tmp_path_factory.mktemp("contract-v1-logs"),
        settings=SETTINGS,
    )
    try:
        testdb.migrate(url)
        seed_database(url, SAMPLE_DIR, tmp_path_factory.mktemp("contract-v1-seed"))
        stack.start()
        yield stack
    finally:
        try:
            stack.stop_all()
            stack.delete_streams()
        finally:
            asyncio.run(testdb.drop_database(postgres_server, name))
