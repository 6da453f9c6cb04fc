"""Create, migrate and drop throwaway databases for tests."""

from __future__ import annotations

import asyncpg

from planner_shared.db.migrate import upgrade


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def create_database(server_url: str, name: str) -> str:
    conn = await asyncpg.connect(_plain(server_url) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{server_url}/{name}"


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(_plain(server_url) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def migrate(database_url: str) -> None:
    upgrade(database_url)


TRUNCATE_ORDER = "TRUNCATE {tables} RESTART IDENTITY CASCADE"


async def truncate_all(database_url: str, tables: list[str]) -> None:
    conn = await asyncpg.connect(_plain(database_url))
    try:
        await conn.execute(TRUNCATE_ORDER.format(tables=", ".join(tables)))
    finally:
        await conn.close()
