"""The test infrastructure itself: each worker's database is migrated and isolated."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.db.migrate import alembic_config
from planner_shared.settings import PlannerSettings


async def test_database_is_migrated_to_head(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        version = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        tables = (
            await session.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
            )
        ).scalar()
    # The newest revision, whichever it is: every branch adds its own.
    head = ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()
    assert version == head
    assert tables is not None
    assert tables >= 20


async def test_redis_prefix_is_unique_per_test(settings: PlannerSettings, redis_client) -> None:  # type: ignore[no-untyped-def]
    stream = settings.stream("workflow")
    assert stream.startswith(settings.stream_prefix)
    assert await redis_client.exists(stream) == 0
