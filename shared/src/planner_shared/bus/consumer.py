"""At-least-once consumption done honestly.

Each service reads its streams in its own consumer group, one consumer per replica. For every
message: parse it (a message that is not a valid event is dead-lettered at once), skip it if
this group already processed its event_id, else run the handler, record `processed_events`
and stage emitted events in the outbox, all in one transaction, then XACK (a phased handler
computes before that transaction opens: see delivery.py). A handler that
raises leaves the message pending; a second subscriber claims pending messages idle longer
than `claim_idle_ms` (XAUTOCLAIM) and retries them; once a message has been delivered
`max_deliveries` times and still fails, it moves to `<stream>.dlq` with the error, and a
request whose route says how it `gives_up` is answered with that failure event (through the
outbox), so a season waiting on it fails visibly instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis
from faststream.middlewares import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.annotations import RedisStreamMessage
from pydantic import ValidationError
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.bus.delivery import run_route
from planner_shared.bus.outbox import add_to_outbox
from planner_shared.bus.publisher import EventPublisher
from planner_shared.bus.router import EventRouter, Route
from planner_shared.bus.streams import dlq_name, stream_name
from planner_shared.db.engine import transaction
from planner_shared.db.models import ProcessedEvent
from planner_shared.events import EventBase, parse_event
from planner_shared.logging import log_context
from planner_shared.metrics import DEAD_LETTERED, EVENTS_HANDLED, HANDLER_SECONDS
from planner_shared.settings import PlannerSettings

log = logging.getLogger(__name__)

# Idle time after which a consumer with nothing pending counts as a replica that is gone: far
# longer than any live replica's gap between reads.
RETIRE_IDLE_MS = 10 * 60 * 1000


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    RETRY = "retry"
    DEAD_LETTERED = "dead_lettered"


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


async def ensure_group(client: aioredis.Redis, stream: str, group: str) -> None:
    """Create the group at the start of the stream, so events published before this service
    first ran are still delivered to it (FastStream would create it at `$`)."""
    with contextlib.suppress(ResponseError):
        await client.xgroup_create(stream, group, id="0", mkstream=True)


@dataclass(frozen=True)
class DeadLetter:
    stream: str
    group: str
    message_id: str
    error: str
    deliveries: int


class DurableConsumer:
    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: PlannerSettings,
        group: str,
        router: EventRouter,
        publisher: EventPublisher | None,
        producer: str,
        consumer_name: str | None = None,
    ) -> None:
        self._redis = redis
        self._sessionmaker = sessionmaker
        self._settings = settings
        self.group = group
        self._router = router
        self._publisher = publisher
        self._producer = producer
        self.consumer_name = consumer_name or settings.replica_name or default_consumer_name()
        self._subscribers: list[Any] = []
        # Set once the broker started the readers: before, not running is not stopped.
        self.reading = False

    @property
    def streams(self) -> list[str]:
        return sorted(stream_name(self._settings, d) for d in self._router.domains)

    async def ensure_groups(self, retire_idle_ms: int = RETIRE_IDLE_MS) -> None:
        for stream in self.streams:
            await ensure_group(self._redis, stream, self.group)
            await self._retire_idle_consumers(stream, retire_idle_ms)

    async def _retire_idle_consumers(self, stream: str, idle_ms: int) -> None:
        """Forget the consumers of replicas gone for good, so the group's consumer count is the
        replicas that run. Only consumers holding no pending message go: a dead replica's
        unfinished messages stay visible until another claims them. A live replica removed by
        mistake costs nothing: Redis recreates a consumer on its next read."""
        consumers = await self._redis.xinfo_consumers(stream, self.group)
        for consumer in consumers:
            name = consumer["name"]
            name = name.decode() if isinstance(name, bytes) else str(name)
            if (
                name != self.consumer_name
                and name not in self._own_readers()
                and int(consumer["pending"]) == 0
                and int(consumer["idle"]) > idle_ms
            ):
                await self._redis.xgroup_delconsumer(stream, self.group, name)
                log.info("retired idle consumer %s of %s on %s", name, self.group, stream)

    def _own_readers(self) -> set[str]:
        return {f"{self.consumer_name}-{slot}" for slot in range(1, self._router.concurrency)}

    def register(self, broker: RedisBroker) -> None:
        """Subscribe to every stream the router needs: new messages, and claimed ones.

        New messages are read one at a time per reader (`max_records=1`, one reader unless
        the router's `concurrency` says more): a replica holds only the messages it works on,
        whose idle time it keeps resetting (`_keep_claimed`). Read in
        batches, the rest of a batch would sit pending and idle behind a long forecast until
        the claimer of another replica took it and computed it a second time."""
        readers = [(False, i) for i in range(self._router.concurrency)] + [(True, 0)]
        for stream in self.streams:
            for claim, slot in readers:
                # A router with room for several messages at once (`concurrency`) gets that
                # many readers of new messages, each holding one: consumers `name`, `name-1`...
                consumer = self.consumer_name if slot == 0 else f"{self.consumer_name}-{slot}"
                sub = StreamSub(
                    stream,
                    group=self.group,
                    consumer=consumer,
                    polling_interval=max(self._settings.claim_idle_ms // 3, 50) if claim else 100,
                    min_idle_time=self._settings.claim_idle_ms if claim else None,
                    max_records=1,
                )
                subscriber = broker.subscriber(stream=sub, ack_policy=AckPolicy.MANUAL)
                subscriber(self._on_message)
                self._subscribers.append(subscriber)

    def stopped(self) -> list[str]:
        """The streams whose reader has stopped (FastStream stops one for good when its group
        disappears, as when Redis loses its data)."""
        if not self.reading:
            return []
        return sorted(
            {sub.stream_sub.name for sub in self._subscribers if not getattr(sub, "running", True)}
        )

    async def restart_stopped(self) -> list[str]:
        """Start again the readers that stopped; their groups must exist again first."""
        restarted: list[str] = []
        if not self.reading:
            return restarted
        for sub in self._subscribers:
            if not getattr(sub, "running", True):
                await sub.start()
                restarted.append(sub.stream_sub.name)
        if restarted:
            log.warning("restarted the readers of %s", ", ".join(sorted(set(restarted))))
        return restarted

    async def _on_message(self, body: Any, msg: RedisStreamMessage) -> None:
        stream: str = msg.raw_message["channel"]
        message_id: bytes = msg.raw_message["message_ids"][0]
        outcome = await self.process(stream, message_id, msg.body)
        if outcome is not Outcome.RETRY:
            await msg.ack()

    async def deliveries(self, stream: str, message_id: bytes) -> int:
        pending = await self._redis.xpending_range(
            stream, self.group, min=message_id, max=message_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 1

    async def process(self, stream: str, message_id: bytes, body: bytes) -> Outcome:
        """Handle one delivery; the caller acks unless the outcome is RETRY."""
        try:
            event = parse_event(body)
        except ValidationError as exc:
            await self._dead_letter(stream, message_id, body, f"invalid event: {exc}", None)
            return Outcome.DEAD_LETTERED
        route = self._router.route_for(event)
        if route is None:
            return Outcome.IGNORED
        deliveries = await self.deliveries(stream, message_id)
        with log_context(workflow_id=event.workflow_id, event_id=event.event_id):
            if deliveries > self._settings.max_deliveries:
                # Earlier deliveries never finished (the consumer died mid-message).
                error = f"not completed after {deliveries - 1} deliveries"
                await self._dead_letter(stream, message_id, body, error, event)
                return Outcome.DEAD_LETTERED
            started = time.perf_counter()
            try:
                async with self._keep_claimed(stream, message_id):
                    outcome = await self._handle_once(event, route)
            except Exception as exc:
                EVENTS_HANDLED.labels(self.group, event.type, "error").inc()
                reason = f"{type(exc).__name__}: {exc}"
                if deliveries >= self._settings.max_deliveries:
                    log.exception(
                        "handler failed; dead-lettering", extra={"deliveries": deliveries}
                    )
                    await self._dead_letter(stream, message_id, body, reason, event)
                    return Outcome.DEAD_LETTERED
                log.warning(
                    "handler failed; will retry",
                    exc_info=True,
                    extra={"deliveries": deliveries, "error": reason},
                )
                return Outcome.RETRY
            HANDLER_SECONDS.labels(self.group, event.type).observe(time.perf_counter() - started)
            EVENTS_HANDLED.labels(self.group, event.type, outcome.value).inc()
            log.info("event %s %s", event.type, outcome.value)
            return outcome

    async def _handle_once(self, event: EventBase, route: Route) -> Outcome:
        try:
            emitted = await run_route(
                route,
                event,
                sessionmaker=self._sessionmaker,
                settings=self._settings,
                publisher=self._publisher,
                producer=self._producer,
                group=self.group,
            )
            if emitted is None:
                return Outcome.DUPLICATE
        except IntegrityError:
            # Another replica committed the same event first: its effects stand, ours roll back.
            async with self._sessionmaker() as session:
                if await session.get(ProcessedEvent, (self.group, event.event_id)) is not None:
                    return Outcome.DUPLICATE
            raise
        return Outcome.HANDLED

    @contextlib.asynccontextmanager
    async def _keep_claimed(self, stream: str, message_id: bytes) -> AsyncIterator[None]:
        """While a long handler runs, reset the message's idle time so no other replica claims
        it and starts the same work again.

        The toucher stops on an event, not only on cancellation: on Python 3.11 a cancel that
        lands as redis-py's `wait_for` completes is swallowed (see runtime.stop_tasks), and a
        toucher that ran on would hold the message's handler (and its ack) forever."""
        interval = self._settings.claim_idle_ms / 3000
        done = asyncio.Event()

        async def touch() -> None:
            while not done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), interval)
                    return
                await self._redis.xclaim(
                    stream, self.group, self.consumer_name, 0, [message_id], justid=True
                )

        task = asyncio.create_task(touch())
        try:
            yield
        finally:
            done.set()
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.2)
            if not task.cancelled() and task.exception() is not None:
                log.warning("could not keep message %s claimed: %s", message_id, task.exception())

    async def _dead_letter(
        self,
        stream: str,
        message_id: bytes,
        body: bytes,
        error: str,
        event: EventBase | None,
    ) -> None:
        await write_dead_letter(
            self._redis,
            stream=stream,
            group=self.group,
            message_id=message_id,
            body=body,
            error=error,
            event=event,
            maxlen=self._settings.stream_maxlen,
        )
        route = self._router.route_for(event) if event is not None else None
        if event is not None and route is not None and route.gives_up is not None:
            failure = route.gives_up(event, error, self._producer)
            async with transaction(self._sessionmaker) as session:
                add_to_outbox(session, self._settings, [failure])
            log.error("answered the dead-lettered %s with %s", event.type, failure.type)


async def write_dead_letter(
    redis: aioredis.Redis,
    *,
    stream: str,
    group: str,
    message_id: bytes,
    body: bytes,
    error: str,
    event: EventBase | None,
    maxlen: int,
) -> None:
    """Move one message to `<stream>.dlq` with why, who failed it and its body, for the
    operator API to show and replay."""
    fields: dict[FieldT, EncodableT] = {
        "stream": stream,
        "group": group,
        "message_id": message_id.decode(),
        "error": error[:4000],
        "failed_at": datetime.now(UTC).isoformat(),
        "body": body,
    }
    if event is not None:
        fields |= {"event_id": str(event.event_id), "event_type": event.type}
        if event.workflow_id:
            fields["workflow_id"] = str(event.workflow_id)
    await redis.xadd(dlq_name(stream), fields, maxlen=maxlen, approximate=True)
    DEAD_LETTERED.labels(stream).inc()
    log.error("dead-lettered message %s of %s (%s): %s", message_id.decode(), stream, group, error)
