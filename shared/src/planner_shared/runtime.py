"""One composition root for every service process.

`create_service_app` builds a FastAPI app whose lifespan connects the database, Redis and the
FastStream broker, registers the service's durable consumer, starts the outbox relay, and
disposes all of it after `yield`. Nothing connects at import time. `/ready` answers 503 while
the database or Redis does not answer, or while a condition a service added with
`Runtime.require` (its own background work) does not hold.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import redis.asyncio as aioredis
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from faststream.redis import RedisBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from planner_shared.bus.consumer import DurableConsumer
from planner_shared.bus.publisher import EventPublisher
from planner_shared.bus.recovery import GroupWatch
from planner_shared.bus.relay import OutboxRelay
from planner_shared.bus.router import EventRouter
from planner_shared.bus.streams import all_streams
from planner_shared.db.engine import create_engine, create_sessionmaker
from planner_shared.logging import configure_logging
from planner_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

TASK_STOP_SECONDS = 5.0
REDIS_SOCKET_TIMEOUT = 35.0
RECANCEL_SECONDS = 0.2


T = TypeVar("T")

ReadinessCheck = Callable[[], str | None]
"""A condition a service adds to its readiness (a background task that must be working, say):
None while it holds, otherwise what is wrong, in a few words."""


@dataclass
class Runtime:
    """Everything a running service holds; built by the lifespan, reachable from app.state."""

    name: str
    settings: ServiceSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    broker: RedisBroker
    publisher: EventPublisher
    relay: OutboxRelay
    consumer: DurableConsumer | None = None
    group_watch: GroupWatch | None = None
    _parts: dict[type[Any], Any] = field(default_factory=dict)
    ready_checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def spawn(self, coro: Any, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    def attach(self, part: object) -> None:
        """Hold a part the service's setup built (the gateway's hub and reader, say), for its
        endpoints to find by its type."""
        self._parts[type(part)] = part

    def part(self, kind: type[T]) -> T:
        """The part of type `kind` the setup attached; LookupError before it did."""
        found = self._parts.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"{self.name} holds no {kind.__name__}")
        return found

    def require(self, name: str, check: ReadinessCheck) -> None:
        """Make /ready depend on one more condition of the service's own, under `name`."""
        self.ready_checks[name] = check


RouterSetup = Callable[[Runtime], AbstractAsyncContextManager[EventRouter | None]]


@asynccontextmanager
async def no_router(runtime: Runtime) -> AsyncIterator[EventRouter | None]:
    yield None


async def stop_tasks(tasks: list[asyncio.Task[None]], redis: aioredis.Redis) -> None:
    """Cancel the background tasks and wait for them, cancelling again while they run on.

    On Python 3.11, `asyncio.wait_for` returns its inner result instead of raising when the
    cancellation lands just as the inner future completes (CPython gh-86296, fixed in 3.12),
    and redis-py wraps its socket writes in `wait_for`: a stream reader cancelled at that
    instant swallows the cancellation and blocks in its next XREAD. A second cancel reaches it
    there. Closing the pool's sockets is the last resort for a task that still runs on.
    """
    if not tasks:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TASK_STOP_SECONDS
    pending = set(tasks)
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=RECANCEL_SECONDS)
    if pending:
        log.warning(
            "tasks %s ignored cancellation for %ss; closing Redis connections",
            ", ".join(t.get_name() for t in pending),
            TASK_STOP_SECONDS,
        )
        await redis.connection_pool.disconnect()
        await asyncio.wait(pending, timeout=TASK_STOP_SECONDS)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("task %s failed", task.get_name(), exc_info=task.exception())


@asynccontextmanager
async def open_runtime(
    name: str, settings: ServiceSettings, setup: RouterSetup = no_router
) -> AsyncIterator[Runtime]:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    # Bounded waits: while Redis does not answer, a request fails fast (503) instead of
    # hanging. Longer than the longest blocking read (the gateway reader's, at most 30 s).
    redis = aioredis.from_url(
        settings.redis_url, socket_connect_timeout=5.0, socket_timeout=REDIS_SOCKET_TIMEOUT
    )
    broker = RedisBroker(settings.redis_url, log_level=10)
    publisher = EventPublisher(broker, settings)
    relay = OutboxRelay(sessionmaker, publisher, poll_seconds=settings.outbox_poll_seconds)
    runtime = Runtime(name, settings, engine, sessionmaker, redis, broker, publisher, relay)
    try:
        async with setup(runtime) as router:
            if router is not None:
                runtime.consumer = DurableConsumer(
                    redis=redis,
                    sessionmaker=sessionmaker,
                    settings=settings,
                    group=name,
                    router=router,
                    publisher=publisher,
                    producer=name,
                )
                await runtime.consumer.ensure_groups()
                runtime.consumer.register(broker)
                # A service that cannot consume is not ready (Redis down, a group gone).
                runtime.require("consumer_groups", _watch(runtime).problem)
            await _first_check(_watch(runtime))
            await broker.start()
            if runtime.consumer is not None:
                runtime.consumer.reading = True
            runtime.spawn(relay.run(), f"{name}-outbox-relay")
            runtime.spawn(_watch(runtime).run(), f"{name}-bus-watch")
            try:
                yield runtime
            finally:
                await stop_tasks(runtime._tasks, redis)
                await broker.stop()
    finally:
        await redis.aclose()
        await engine.dispose()


def _watch(runtime: Runtime) -> GroupWatch:
    """The runtime's bus watch: its groups (none for a service without a consumer) and the
    marker that tells a Redis that lost its data (see planner_shared.bus.recovery)."""
    if runtime.group_watch is None:
        consumer = runtime.consumer
        runtime.group_watch = GroupWatch(
            redis=runtime.redis,
            sessionmaker=runtime.sessionmaker,
            group=runtime.name,
            stream_prefix=runtime.settings.stream_prefix,
            streams=consumer.streams if consumer else [],
            all_streams=all_streams(runtime.settings),
            interval=runtime.settings.bus_check_seconds,
            redrive_window=timedelta(hours=runtime.settings.redrive_window_hours),
            readers=consumer,
        )
    return runtime.group_watch


async def _first_check(watch: GroupWatch) -> None:
    """Publish again what a Redis that lost its data while this service was down lost."""
    try:
        await watch.check()
    except Exception as exc:
        # Not fatal: the service starts and its watch tries again every few seconds.
        log.warning("could not check the bus for lost data: %s: %s", type(exc).__name__, exc)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def readiness(runtime: Runtime) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await runtime.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    for name, check in runtime.ready_checks.items():
        problem = check()
        checks[name] = "ok" if problem is None else f"error: {problem}"
    return checks


def operator_router() -> APIRouter:
    router = APIRouter(tags=["operator"])

    @router.get("/health", summary="Liveness: the process is up")
    async def health(request: Request) -> dict[str, str]:
        return {"status": "ok", "service": runtime_of(request).name}

    @router.get(
        "/ready", summary="Readiness: database and Redis answer, and the service's own checks hold"
    )
    async def ready(request: Request, response: Response) -> dict[str, Any]:
        runtime = runtime_of(request)
        checks = await readiness(runtime)
        ok = all(v == "ok" for v in checks.values())
        response.status_code = 200 if ok else 503
        consumer = runtime.consumer
        return {
            "status": "ready" if ok else "not_ready",
            "service": runtime.name,
            "checks": checks,
            "consumer": (
                {
                    "group": consumer.group,
                    "name": consumer.consumer_name,
                    "streams": consumer.streams,
                }
                if consumer
                else None
            ),
        }

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


_operator_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="OperatorKey",
    description="PLANNER_OPERATOR_KEY, sent as `Authorization: Bearer <key>`.",
)


async def require_operator_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_operator_bearer)],
) -> None:
    """The services' own read endpoints show what planners and approvers decided: only the
    operator key opens them."""
    expected = runtime_of(request).settings.operator_key.get_secret_value()
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            401,
            "this operator API needs the operator key: Authorization: Bearer $PLANNER_OPERATOR_KEY",
            headers={"WWW-Authenticate": "Bearer"},
        )


def create_service_app(
    name: str,
    settings: ServiceSettings,
    setup: RouterSetup = no_router,
    *,
    routers: list[APIRouter] | None = None,
    title: str | None = None,
    description: str = "",
    protect_routers: bool = True,
) -> FastAPI:
    """The service's app; its own `routers` need the operator key unless `protect_routers`
    is False (the gateway, whose API has keys and roles of its own)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(name, level=settings.log_level, json_lines=settings.log_json)
        async with open_runtime(name, settings, setup) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title=title or f"Season Planner {name}", description=description, lifespan=lifespan
    )
    app.include_router(operator_router())
    guard = [Depends(require_operator_key)] if protect_routers else []
    for router in routers or []:
        app.include_router(router, dependencies=guard)
    return app


def serve(app: FastAPI, settings: ServiceSettings, **uvicorn_options: Any) -> None:
    import uvicorn

    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, **uvicorn_options)
