"""The test infrastructure itself: each worker's database is migrated and isolated."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.db.migrate import alembic_config
from planner_shared.settings import PlannerSettings


async def test_database_is_migrated_to_head(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    heads = ScriptDirectory.from_config(alembic_config(database_url)).get_heads()
    # One head: branches merged by different engineers must be chained, never left as two.
    assert len(heads) == 1, heads
    async with sessionmaker() as session:
        version = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        tables = (
            await session.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
            )
        ).scalar()
    assert version == heads[0]
    assert tables is not None
    assert tables >= 20


async def test_redis_prefix_is_unique_per_test(settings: PlannerSettings, redis_client) -> None:
    stream = settings.stream("workflow")
    assert stream.startswith(settings.stream_prefix)
    assert await redis_client.exists(stream) == 0
