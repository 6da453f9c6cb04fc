"""Dependencies declared once: the runtime, the gateway state, and request sessions.

A write endpoint gets one transaction that commits when the endpoint returns (before the
response is sent, so a failed commit is an error answer) and rolls back when it raises;
endpoint code flushes, never commits. An endpoint that sends commands takes `UnitOfWork`, the
bus handlers' own unit (`MessageContext`): the transaction and `emit`, which stages the
events in the outbox of that transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from planner_gateway.parse_pool import ParsePool
from planner_gateway.state import GatewayState
from planner_shared.bus.router import MessageContext
from planner_shared.db.engine import transaction
from planner_shared.runtime import Runtime


def get_runtime(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


def get_state(conn: HTTPConnection) -> GatewayState:
    return get_runtime(conn).part(GatewayState)


def get_parse_pool(conn: HTTPConnection) -> ParsePool:
    """Where uploaded files are parsed, off the event loop (planner_gateway.parse_pool)."""
    return get_state(conn).parses


async def read_session(conn: HTTPConnection) -> AsyncIterator[AsyncSession]:
    async with get_runtime(conn).sessionmaker() as session:
        yield session


async def write_session(conn: HTTPConnection) -> AsyncIterator[AsyncSession]:
    async with transaction(get_runtime(conn).sessionmaker) as session:
        yield session


async def unit_of_work(conn: HTTPConnection) -> AsyncIterator[MessageContext]:
    runtime = get_runtime(conn)
    async with transaction(runtime.sessionmaker) as session:
        yield MessageContext(
            session=session,
            settings=runtime.settings,
            publisher=runtime.publisher,
            producer=runtime.name,
        )


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
StateDep = Annotated[GatewayState, Depends(get_state)]
ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
UnitOfWork = Annotated[MessageContext, Depends(unit_of_work, scope="function")]
