"""Operator endpoints (role operator): streams, recent events, dead letters with replay, lag;
and `GET /api/health`, open to probes, aggregating the gateway's dependencies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from planner_gateway import SERVICE_NAME
from planner_gateway.auth import Operator
from planner_gateway.deps import ReadSession, RuntimeDep, StateDep
from planner_gateway.errors import ApiError, ErrorDetail, not_found, responses
from planner_gateway.schemas.ops import (
    DeadLetterList,
    DeadLetterRead,
    GroupLagRead,
    HealthCheck,
    HealthRead,
    LagReport,
    RedriveRequest,
    RedriveResult,
    ReferenceChangeList,
    ReferenceChangeRead,
    ReplayResult,
    StreamEntries,
    StreamEntryRead,
    StreamList,
    StreamRead,
)
from planner_shared.bus import admin, recovery
from planner_shared.bus.streams import all_streams, stream_name
from planner_shared.db.models import ReferenceChange
from planner_shared.events import Domain

router = APIRouter(tags=["operator"])

MESSAGE_ID = r"^\d{1,20}-\d{1,20}$"
CHECK_TIMEOUT_SECONDS = 3.0
MAX_ID_PART = 2**64 - 1


def _check_id(value: str, field: str) -> str:
    """A Redis stream id's two parts are 64-bit: refuse a larger one clearly (Redis would
    answer an error, not an empty range)."""
    if any(int(part) > MAX_ID_PART for part in value.split("-")):
        raise ApiError(
            422,
            f"{field}: {value} is not a stream id (each part is at most {MAX_ID_PART})",
            details=[ErrorDetail(field=field, message="not a stream id", value=value)],
        )
    return value


@router.get(
    "/ops/streams", response_model=StreamList, responses=responses(), summary="Every stream"
)
async def list_streams(_: Operator, runtime: RuntimeDep) -> StreamList:
    streams = []
    for domain in Domain:
        summary = await admin.summarize(runtime.redis, stream_name(runtime.settings, domain))
        streams.append(StreamRead(domain=domain.value, **asdict(summary)))
    return StreamList(streams=streams)


@router.get(
    "/ops/streams/{domain}/events",
    response_model=StreamEntries,
    responses=responses(),
    summary="Recent entries of a stream, newest first",
)
async def recent_events(
    domain: Domain,
    _: Operator,
    runtime: RuntimeDep,
    count: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[str | None, Query(pattern=MESSAGE_ID)] = None,
) -> StreamEntries:
    stream = stream_name(runtime.settings, domain)
    if before is not None:
        _check_id(before, "before")
    # Nothing is older than 0-0 (and Redis refuses the exclusive range that would ask).
    entries = (
        [] if before == "0-0" else await admin.recent_entries(runtime.redis, stream, count, before)
    )
    return StreamEntries(
        stream=stream,
        entries=[StreamEntryRead(**asdict(e)) for e in entries],
        next_before=entries[-1].message_id if len(entries) == count else None,
    )


@router.get(
    "/ops/dead-letters",
    response_model=DeadLetterList,
    responses=responses(),
    summary="Dead-lettered events, with the error that sent each there",
)
async def list_dead_letters(
    _: Operator,
    runtime: RuntimeDep,
    domain: Domain | None = None,
    count: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeadLetterList:
    letters: list[DeadLetterRead] = []
    for d in [domain] if domain else list(Domain):
        stream = stream_name(runtime.settings, d)
        letters += [
            DeadLetterRead(**asdict(x))
            for x in await admin.dead_letters(runtime.redis, stream, count)
        ]
    return DeadLetterList(dead_letters=letters)


@router.post(
    "/ops/dead-letters/{domain}/{dlq_message_id}/replay",
    response_model=ReplayResult,
    responses=responses(404, 409),
    summary="Publish a dead-lettered event to its stream again and remove it from the DLQ",
)
async def replay_dead_letter(
    domain: Domain,
    dlq_message_id: Annotated[str, Path(pattern=MESSAGE_ID)],
    principal: Operator,
    runtime: RuntimeDep,
) -> ReplayResult:
    stream = stream_name(runtime.settings, domain)
    _check_id(dlq_message_id, "dlq_message_id")
    try:
        letter = await admin.replay_dead_letter(
            runtime.redis, runtime.publisher, stream, dlq_message_id
        )
    except admin.ReplayError as exc:
        raise ApiError(409, str(exc), code="not_replayable") from exc
    if letter is None:
        raise not_found(f"dead letter {dlq_message_id} of {stream}")
    return ReplayResult(
        replayed=DeadLetterRead(**asdict(letter)),
        message=f"republished to {letter.stream or stream} by {principal.name}; groups that "
        "already handled the event skip it",
    )


@router.get(
    "/ops/reference-changes",
    response_model=ReferenceChangeList,
    responses=responses(),
    summary="Who changed reference data (historical sales), when and what, newest first",
)
async def reference_changes(
    _: Operator,
    session: ReadSession,
    table: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
    changed_by: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReferenceChangeList:
    query = select(ReferenceChange).order_by(ReferenceChange.id.desc()).limit(limit)
    if table is not None:
        query = query.where(ReferenceChange.table_name == table)
    if changed_by is not None:
        query = query.where(ReferenceChange.changed_by == changed_by)
    rows = (await session.scalars(query)).all()
    return ReferenceChangeList(
        changes=[ReferenceChangeRead.model_validate(r, from_attributes=True) for r in rows]
    )


@router.post(
    "/ops/redrive",
    response_model=RedriveResult,
    responses=responses(),
    summary="Publish again the outbox events published since a time (after a Redis loss)",
)
async def redrive(body: RedriveRequest, principal: Operator, runtime: RuntimeDep) -> RedriveResult:
    streams = all_streams(runtime.settings)
    count = await recovery.redrive(runtime.sessionmaker, body.since, streams)
    return RedriveResult(
        republishing=count,
        since=body.since,
        message=f"{count} outbox events published since {body.since.isoformat()} will be "
        f"published again (asked by {principal.name}); consumers that handled one skip it",
    )


@router.get(
    "/ops/lag",
    response_model=LagReport,
    responses=responses(),
    summary="Bus lag per consumer group",
)
async def bus_lag(_: Operator, runtime: RuntimeDep) -> LagReport:
    groups: list[GroupLagRead] = []
    for domain in Domain:
        stream = stream_name(runtime.settings, domain)
        groups += [GroupLagRead(**asdict(g)) for g in await admin.group_lag(runtime.redis, stream)]
    return LagReport(
        groups=groups,
        total_pending=sum(g.pending for g in groups),
        total_lag=sum(g.lag or 0 for g in groups),
    )


async def _timed(probe: Callable[[], Awaitable[Any]]) -> HealthCheck:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        return HealthCheck(status="error", detail=f"{type(exc).__name__}: {exc}"[:300])
    return HealthCheck(
        status="ok", data={"latency_ms": round((time.perf_counter() - started) * 1000, 2)}
    )


@router.get(
    "/health",
    response_model=HealthRead,
    responses={503: {"model": HealthRead, "description": "A dependency is failing"}},
    summary="Health of the gateway's dependencies (no key needed)",
)
async def health(runtime: RuntimeDep, state: StateDep, response: Response) -> HealthRead:
    async def database() -> None:
        async with runtime.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def redis() -> None:
        await runtime.redis.ping()

    checks = {"database": await _timed(database), "redis": await _timed(redis)}
    try:
        backlog = await asyncio.wait_for(runtime.relay.backlog(), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        checks["outbox"] = HealthCheck(status="error", detail=f"{type(exc).__name__}: {exc}")
    else:
        over = backlog > state.settings.outbox_backlog_warning
        checks["outbox"] = HealthCheck(
            status="warning" if over else "ok",
            detail="events are waiting to be published" if over else None,
            data={"backlog": backlog},
        )
    reader = state.reader
    age = reader.poll_age_seconds()
    # The same condition /ready requires (see app.setup), so both answer 503 together.
    problem = reader.problem()
    checks["stream_reader"] = HealthCheck(
        status="ok" if problem is None else "error",
        detail=problem,
        data={
            "last_poll_age_s": None if age is None else round(age, 3),
            "events_read": reader.events_read,
            "consecutive_failures": reader.failures,
        },
    )
    checks["websockets"] = HealthCheck(
        status="ok",
        data={"connections": state.hub.connection_count, "dropped_slow": state.hub.dropped_slow},
    )
    statuses = {c.status for c in checks.values()}
    overall = "unhealthy" if "error" in statuses else "degraded" if "warning" in statuses else "ok"
    response.status_code = 503 if overall == "unhealthy" else 200
    return HealthRead(status=overall, service=SERVICE_NAME, checks=checks)
