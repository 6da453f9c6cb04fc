"""Stream names and the wire form of an event on a stream."""

from __future__ import annotations

from faststream.redis.parser.binary import BinaryMessageFormatV1

from planner_shared.events import Domain, EventBase
from planner_shared.settings import PlannerSettings

DATA_FIELD = b"__data__"


def stream_name(settings: PlannerSettings, domain: Domain) -> str:
    return settings.stream(domain.value)


def stream_for(settings: PlannerSettings, event: EventBase | type[EventBase]) -> str:
    return stream_name(settings, event.domain)


def dlq_name(stream: str) -> str:
    return f"{stream}.dlq"


def all_streams(settings: PlannerSettings) -> list[str]:
    return [stream_name(settings, domain) for domain in Domain]


def decode_entry(fields: dict[bytes, bytes]) -> bytes:
    """The event JSON inside a stream entry written by FastStream's publisher."""
    body, _headers = BinaryMessageFormatV1.parse(fields[DATA_FIELD])
    return body
