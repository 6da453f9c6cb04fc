"""`make seed`: the sample folder into the database, validated whole, idempotent."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.datasets.seed import SeedFileError, seed
from planner_shared.db.models import Category, HistoricalSale, Store

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


async def stored(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int, int, int]:
    """Rows of each reference table, and the units of all history."""
    async with sessions() as session:
        row = (
            await session.execute(
                select(
                    select(func.count()).select_from(Store).scalar_subquery(),
                    select(func.count()).select_from(Category).scalar_subquery(),
                    select(func.count()).select_from(HistoricalSale).scalar_subquery(),
                    select(func.coalesce(func.sum(HistoricalSale.units), 0)).scalar_subquery(),
                )
            )
        ).one()
    return (int(row[0]), int(row[1]), int(row[2]), int(row[3]))


async def test_seeding_twice_gives_the_same_data(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    first = await seed(database_url, SAMPLE)
    after_first = await stored(sessionmaker)
    second = await seed(database_url, SAMPLE)

    assert (first.stores.inserted, first.categories.inserted) == (50, 4)
    assert first.historical_sales.inserted == 31_200
    assert (second.stores.unchanged, second.categories.unchanged) == (50, 4)
    assert second.historical_sales.unchanged == 31_200
    assert await stored(sessionmaker) == after_first
    assert after_first[:3] == (50, 4, 31_200)


async def test_a_bad_sample_file_loads_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str, tmp_path: Path
) -> None:
    shutil.copytree(SAMPLE, tmp_path, dirs_exist_ok=True)
    history = tmp_path / "historical_sales.csv"
    lines = history.read_text().splitlines(keepends=True)
    cells = lines[3].split(",")
    cells[3] = "-2"  # units
    lines[3] = ",".join(cells)
    history.write_text("".join(lines))
    (tmp_path / "categories.csv").unlink()

    with pytest.raises(SeedFileError) as caught:
        await seed(database_url, tmp_path)

    assert str(caught.value).splitlines() == [
        f"{tmp_path / 'categories.csv'}: missing",
        f"{history}: row 4, column units: must not be negative (got '-2')",
    ]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Store)) == 0


async def test_the_command_prints_its_counts(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "planner_shared.datasets.seed",
        "--dir",
        str(SAMPLE),
        env=os.environ | {"DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert "stores            50 rows: 50 inserted, 0 updated, 0 unchanged" in stdout.decode()
    assert "historical_sales  31200 rows: 31200 inserted" in stdout.decode()
    assert (await stored(sessionmaker))[:3] == (50, 4, 31_200)
