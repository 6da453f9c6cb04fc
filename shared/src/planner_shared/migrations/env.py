"""Alembic environment: the only way the schema is made."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from planner_shared.db import frontend_v1, models  # noqa: F401  (registers every table)
from planner_shared.db.base import Base
from planner_shared.db.engine import create_engine
from planner_shared.settings import PlannerSettings

target_metadata = Base.metadata


def _database_url() -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    return configured or PlannerSettings().database_url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(_database_url(), pool_size=1)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
