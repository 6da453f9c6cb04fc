"""Reading a stream back in a test."""

from __future__ import annotations

from typing import cast

import redis.asyncio as aioredis


async def stream_entries(
    redis: aioredis.Redis, stream: str
) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """XRANGE of a whole stream, typed: the tests' clients answer bytes (no decode_responses),
    which redis-py's stubs cannot know."""
    return cast(list[tuple[bytes, dict[bytes, bytes]]], await redis.xrange(stream))
