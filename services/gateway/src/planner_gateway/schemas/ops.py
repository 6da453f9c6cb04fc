"""Operator views: streams, recent entries, dead letters, consumer lag, health."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from planner_gateway.schemas.resources import example_of


class StreamRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "domain": "forecast",
                    "stream": "planner.forecast",
                    "length": 1204,
                    "last_id": "1795543045072-0",
                    "dead_letters": 1,
                }
            ]
        }
    )

    domain: str
    stream: str
    length: int
    last_id: str | None
    dead_letters: int


class StreamList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"streams": [example_of(StreamRead)]}]}
    )

    streams: list[StreamRead]


class StreamEntryRead(BaseModel):
    message_id: str
    event: dict[str, Any] | None = Field(description="The event envelope, if it is readable.")
    error: str | None = Field(description="Why the entry is not a readable event.")


class StreamEntries(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "stream": "planner.workflow",
                    "entries": [
                        {
                            "message_id": "1795543045072-0",
                            "event": {"type": "workflow.requested", "payload": {}},
                            "error": None,
                        }
                    ],
                    "next_before": "1795543045072-0",
                }
            ]
        }
    )

    stream: str
    entries: list[StreamEntryRead] = Field(description="Newest first.")
    next_before: str | None = Field(description="Pass as `before` for older entries.")


class DeadLetterRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dlq_message_id": "1795543045999-0",
                    "stream": "planner.forecast",
                    "group": "forecast",
                    "message_id": "1795543045072-0",
                    "error": "ValueError: history too short",
                    "failed_at": "2027-02-20T09:00:41+00:00",
                    "event_id": "5d9e1c1e-0a8e-4c59-9d55-2b8f4c1d9a77",
                    "event_type": "forecast.requested",
                    "workflow_id": "0b7f7a52-3f5e-4f43-9d0e-8a5c2f1f6a10",
                    "body": "{...}",
                }
            ]
        }
    )

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


class DeadLetterList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"dead_letters": [example_of(DeadLetterRead)]}]}
    )

    dead_letters: list[DeadLetterRead] = Field(description="Newest first, per stream.")


class ReplayResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "replayed": example_of(DeadLetterRead),
                    "message": "republished to planner.forecast by olga; groups that already "
                    "handled the event skip it",
                }
            ]
        }
    )

    replayed: DeadLetterRead
    message: str


class GroupLagRead(BaseModel):
    stream: str
    group: str
    consumers: int
    pending: int = Field(description="Delivered to a consumer, not yet acknowledged.")
    lag: int | None = Field(description="In the stream, not yet delivered to the group.")
    last_delivered_id: str
    entries_read: int | None


class LagReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "groups": [
                        {
                            "stream": "planner.forecast",
                            "group": "forecast",
                            "consumers": 2,
                            "pending": 1,
                            "lag": 0,
                            "last_delivered_id": "1795543045072-0",
                            "entries_read": 1204,
                        }
                    ],
                    "total_pending": 1,
                    "total_lag": 0,
                }
            ]
        }
    )

    groups: list[GroupLagRead]
    total_pending: int
    total_lag: int


CheckStatus = Literal["ok", "warning", "error"]


class HealthCheck(BaseModel):
    status: CheckStatus
    detail: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class HealthRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "service": "gateway",
                    "checks": {
                        "database": {"status": "ok", "data": {"latency_ms": 1.2}},
                        "redis": {"status": "ok", "data": {"latency_ms": 0.4}},
                        "outbox": {"status": "ok", "data": {"backlog": 0}},
                        "stream_reader": {
                            "status": "ok",
                            "data": {"last_poll_age_s": 0.3, "events_read": 120},
                        },
                        "websockets": {"status": "ok", "data": {"connections": 3}},
                    },
                }
            ]
        }
    )

    status: Literal["ok", "degraded", "unhealthy"]
    service: str
    checks: dict[str, HealthCheck]


class ReferenceChangeRead(BaseModel):
    """One change to reference data: an overwritten row (before/after) or an upload's new
    rows (a summary)."""

    id: int
    table_name: str
    record_key: dict[str, Any]
    action: Literal["insert", "update", "delete"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed_by: str
    source: str
    changed_at: datetime


class ReferenceChangeList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "changes": [
                        {
                            "id": 12,
                            "table_name": "historical_sales",
                            "record_key": {
                                "store_code": "S001",
                                "category_code": "DRES",
                                "week_start": "2026-03-02",
                            },
                            "action": "update",
                            "before": {"units": 40},
                            "after": {"units": 44},
                            "changed_by": "dev-planner",
                            "source": "upload history.csv sha256 9f2c...",
                            "changed_at": "2027-03-02T08:00:00Z",
                        }
                    ]
                }
            ]
        }
    )

    changes: list[ReferenceChangeRead]


class RedriveRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"since": "2027-03-02T08:00:00Z"}]}
    )

    since: AwareDatetime = Field(
        description="Outbox events published from this time on are published again: the "
        "time of the Redis loss, or before it when in doubt (consumers skip what they handled)."
    )


class RedriveResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "republishing": 214,
                    "since": "2027-03-02T08:00:00Z",
                    "message": "214 outbox events published since 2027-03-02T08:00:00+00:00 "
                    "will be published again (asked by dev-operator); consumers that handled "
                    "one skip it",
                }
            ]
        }
    )

    republishing: int
    since: datetime
    message: str
