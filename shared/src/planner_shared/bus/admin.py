"""Operator views of the bus: recent entries, dead letters (with replay) and consumer lag.

Plain functions over a Redis client, so any service's operator API (and tests) can use them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.exceptions import ResponseError

from planner_shared.bus.publisher import EventPublisher
from planner_shared.bus.streams import decode_entry, dlq_name
from planner_shared.events import parse_event

Fields = dict[bytes, bytes]
Entry = tuple[bytes, Fields]


def _entries(response: Any) -> list[Entry]:
    # redis-py types stream replies loosely; without decode_responses they are bytes.
    return cast(list[Entry], response or [])


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class StreamEntry:
    message_id: str
    event: dict[str, Any] | None
    error: str | None = None


@dataclass(frozen=True)
class StreamSummary:
    stream: str
    length: int
    last_id: str | None
    dead_letters: int


@dataclass(frozen=True)
class DeadLetter:
    dlq_message_id: str
    stream: str
    group: str
    message_id: str
    error: str
    failed_at: str | None
    event_id: str | None
    event_type: str | None
    workflow_id: str | None
    body: str


@dataclass(frozen=True)
class GroupLag:
    stream: str
    group: str
    consumers: int
    pending: int
    lag: int | None
    last_delivered_id: str
    entries_read: int | None


class ReplayError(Exception):
    """The dead letter cannot be replayed (its body is not a valid event)."""


def decode_stream_entry(message_id: bytes, fields: Fields) -> StreamEntry:
    try:
        body = decode_entry(fields)
        parse_event(body)
        envelope: dict[str, Any] = json.loads(body)
    except (KeyError, ValueError, ValidationError) as exc:
        return StreamEntry(message_id.decode(), None, f"{type(exc).__name__}: {exc}"[:500])
    return StreamEntry(message_id.decode(), envelope)


async def recent_entries(
    redis: aioredis.Redis, stream: str, count: int, before: str | None = None
) -> list[StreamEntry]:
    """The newest entries of a stream (newest first), optionally older than `before`."""
    items = _entries(
        await redis.xrevrange(stream, max=f"({before}" if before else "+", count=count)
    )
    return [decode_stream_entry(mid, fields) for mid, fields in items]


async def summarize(redis: aioredis.Redis, stream: str) -> StreamSummary:
    last = _entries(await redis.xrevrange(stream, count=1))
    return StreamSummary(
        stream=stream,
        length=int(await redis.xlen(stream)),
        last_id=last[0][0].decode() if last else None,
        dead_letters=int(await redis.xlen(dlq_name(stream))),
    )


def _dead_letter(message_id: bytes, fields: Fields) -> DeadLetter:
    def get(name: str) -> str | None:
        return _text(fields.get(name.encode()))

    return DeadLetter(
        dlq_message_id=message_id.decode(),
        stream=get("stream") or "",
        group=get("group") or "",
        message_id=get("message_id") or "",
        error=get("error") or "",
        failed_at=get("failed_at"),
        event_id=get("event_id"),
        event_type=get("event_type"),
        workflow_id=get("workflow_id"),
        body=fields.get(b"body", b"").decode("utf-8", errors="replace"),
    )


async def dead_letters(redis: aioredis.Redis, stream: str, count: int) -> list[DeadLetter]:
    """Dead-lettered messages of a stream, newest first."""
    items = _entries(await redis.xrevrange(dlq_name(stream), count=count))
    return [_dead_letter(mid, fields) for mid, fields in items]


async def replay_dead_letter(
    redis: aioredis.Redis, publisher: EventPublisher, stream: str, dlq_message_id: str
) -> DeadLetter | None:
    """Publish the dead letter's event to its stream again, then remove it from the DLQ.

    Every consuming group sees it again; groups that had handled it skip it by event_id.
    Returns None when there is no such dead letter.
    """
    dlq = dlq_name(stream)
    items = _entries(await redis.xrange(dlq, min=dlq_message_id, max=dlq_message_id))
    if not items:
        return None
    letter = _dead_letter(*items[0])
    try:
        parse_event(letter.body)
        envelope = json.loads(letter.body)
    except (ValueError, ValidationError) as exc:
        raise ReplayError(f"the dead letter is not a valid event: {exc}") from exc
    await publisher.publish_raw(letter.stream or stream, envelope)
    await redis.xdel(dlq, dlq_message_id)
    return letter


async def group_lag(redis: aioredis.Redis, stream: str) -> list[GroupLag]:
    """Each consumer group of a stream: pending (delivered, not acked) and lag (not delivered)."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return []
    return [
        GroupLag(
            stream=stream,
            group=_text(g["name"]) or "",
            consumers=int(g["consumers"]),
            pending=int(g["pending"]),
            lag=None if g.get("lag") is None else int(g["lag"]),
            last_delivered_id=_text(g["last-delivered-id"]) or "0-0",
            entries_read=None if g.get("entries-read") is None else int(g["entries-read"]),
        )
        for g in groups
    ]
