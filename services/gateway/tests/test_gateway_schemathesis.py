"""Issue 12: schemathesis over the gateway's whole OpenAPI document, with every key.

A real gateway (uvicorn on loopback, in a thread of its own) on this worker's database, with
reference data and a workflow in each state so the generated requests reach real work. Every
operation gets `EXAMPLES` generated requests, each sent with every key (planner, approver,
operator, a key with no role, and none); the test fails on any 5xx answer, on any answer
that does not match the documented response schema, and on any status the operation does not
declare (planner_gateway.openapi_statuses declares what the layers around every endpoint
answer). The extraction (offline parser) and
approvals services run beside it, so the commands answered over the bus get real answers.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
import uvicorn
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from planner_approvals.app import create_app as create_approvals_app
from planner_approvals.settings import ApprovalsSettings
from planner_extraction.app import create_app as create_extraction_app
from planner_extraction.settings import ExtractionSettings
from planner_gateway.app import create_app
from planner_gateway.settings import GatewaySettings
from planner_shared.db.engine import create_engine, create_sessionmaker
from planner_shared.settings import PlannerSettings
from planner_tools.testing.gateway import (
    APPROVER,
    KEYS,
    OPERATOR,
    PLANNER,
    READER,
    new_workflow,
    seed_reference,
)
from planner_tools.testing.servers import free_port

EXAMPLES = 8
HEADERS: list[dict[str, str]] = [PLANNER, APPROVER, OPERATOR, READER, {}]


def _seed(database_url: str) -> None:
    async def seed() -> None:
        engine = create_engine(database_url)
        sessions = create_sessionmaker(engine)
        await seed_reference(sessions)
        for state in ("created", "in_season", "awaiting_manufacturing_approval", "completed"):
            await new_workflow(sessions, state)
        await engine.dispose()

    asyncio.run(seed())


def _serve(app: Any, name: str) -> tuple[uvicorn.Server, threading.Thread, str]:
    """A real uvicorn server for `app` on a free port, in a thread with its own loop."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, name=f"schemathesis-{name}", daemon=True)
    thread.start()
    deadline = 60.0
    while not server.started and deadline > 0:
        threading.Event().wait(0.05)
        deadline -= 0.05
    assert server.started, f"the {name} service did not start"
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def gateway_url(database_url: str, redis_server: str, worker_id_tag: str) -> Iterator[str]:
    from planner_shared.db.base import Base
    from planner_tools.testing import database as testdb

    asyncio.run(testdb.truncate_all(database_url, [t.name for t in Base.metadata.sorted_tables]))
    _seed(database_url)
    settings = GatewaySettings(
        database_url=database_url,
        redis_url=f"{redis_server}/0",
        stream_prefix=f"schemathesis{worker_id_tag}",
        api_keys=KEYS,
        reply_timeout_seconds=10,
        reader_block_ms=100,
        max_upload_bytes=64 * 1024,
        # Its generated sign-ins send wrong keys by the dozen: past the default limit every
        # later case would be answered 429 instead of exercising its endpoint.
        sign_in_failures=1_000_000,
        log_json=False,
        log_level="WARNING",
    )
    shared = settings.model_dump(include=set(PlannerSettings.model_fields))
    running = [
        _serve(create_extraction_app(ExtractionSettings(**shared)), "extraction"),
        _serve(create_approvals_app(ApprovalsSettings(**shared)), "approvals"),
        _serve(create_app(settings), "gateway"),
    ]
    try:
        yield running[-1][2]
    finally:
        for server, thread, _url in reversed(running):
            server.should_exit = True
            thread.join(30)
        import redis

        client = redis.Redis.from_url(f"{redis_server}/0")
        keys = list(client.scan_iter(match=f"schemathesis{worker_id_tag}.*"))
        if keys:
            client.delete(*keys)
        client.close()


# The document the gateway serves at /openapi.json, built without connecting anything.
schema = schemathesis.openapi.from_dict(create_app(GatewaySettings()).openapi())


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)
def test_no_5xx_and_every_answer_matches_its_schema(case: Any, gateway_url: str) -> None:
    for headers in HEADERS:
        case.call_and_validate(
            base_url=gateway_url,
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
        )
