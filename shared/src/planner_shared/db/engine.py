"""Engine and session factory; one transaction per request or message, committed at the edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# While PostgreSQL does not answer, a request waits at most this long for a connection and
# then fails (503 at the gateway) instead of hanging for asyncpg's default minute.
CONNECT_TIMEOUT_SECONDS = 5.0
POOL_TIMEOUT_SECONDS = 10.0


def create_engine(database_url: str, *, pool_size: int = 5) -> AsyncEngine:
    connect_args = {"timeout": CONNECT_TIMEOUT_SECONDS} if "asyncpg" in database_url else {}
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args=connect_args,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """The unit of work: commits when the block succeeds, rolls back when it raises."""
    async with sessionmaker() as session, session.begin():
        yield session
