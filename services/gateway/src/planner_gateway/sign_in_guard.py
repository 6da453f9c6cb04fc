"""Guessing keys is slow: past `sign_in_failures` wrong keys from one client address within
`sign_in_window_seconds`, every key that address sends, right or wrong, is refused with 429
and `Retry-After` until the window ends (a right key answered 200 meanwhile would tell a
guesser it had found one).

Wrong keys are counted in Redis, so every gateway replica adds to the same count. The sign-in
(`POST /api/session`) reads that count before it checks a key; a bearer key or a WebSocket
token is checked against what this replica has seen (no Redis call on every request), so a
guesser spread over replicas gets at most one more try on each. While Redis does not
answer, keys are checked as usual and the blocks this replica already holds still apply: an
outage of the bus does not lock everyone out of the console.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection

from planner_gateway.errors import ApiError
from planner_gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

# Blocks remembered per replica; expired ones are forgotten once there are this many.
MAX_REMEMBERED = 10_000


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


@dataclass
class SignInGuard:
    redis: aioredis.Redis
    settings: GatewaySettings
    _blocked_until: dict[str, float] = field(default_factory=dict)

    def _key(self, address: str) -> str:
        return f"{self.settings.stream_prefix}.sign_in_failures.{address}"

    def _refuse(self, seconds: float) -> ApiError:
        wait = max(1, math.ceil(seconds))
        return ApiError(
            429,
            f"too many wrong keys from this address: try again in {wait}s",
            code="too_many_failed_sign_ins",
            headers={"Retry-After": str(wait)},
        )

    def _block(self, address: str, seconds: float) -> None:
        now = time.monotonic()
        if len(self._blocked_until) >= MAX_REMEMBERED:
            self._blocked_until = {a: t for a, t in self._blocked_until.items() if t > now}
        self._blocked_until[address] = now + seconds

    def refuse_if_seen_blocked(self, address: str) -> None:
        """Raise 429 if this replica has seen `address` go past its wrong keys."""
        until = self._blocked_until.get(address)
        if until is None:
            return
        left = until - time.monotonic()
        if left > 0:
            raise self._refuse(left)
        del self._blocked_until[address]

    async def refuse_if_blocked(self, address: str) -> None:
        """Raise 429 if `address` has sent too many wrong keys to any replica."""
        self.refuse_if_seen_blocked(address)
        key = self._key(address)
        try:
            failures = await self.redis.get(key)
            left = await self.redis.pttl(key)
        except RedisError as exc:
            log.warning("sign-in failures not read (Redis: %s); checking the key", exc)
            return
        if failures is not None and int(failures) >= self.settings.sign_in_failures:
            seconds = left / 1000 if left > 0 else self.settings.sign_in_window_seconds
            self._block(address, seconds)
            raise self._refuse(seconds)

    async def failed(self, address: str) -> None:
        """Count a wrong key from `address`; the window starts at its first wrong key."""
        key = self._key(address)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(key, 0, ex=self.settings.sign_in_window_seconds, nx=True)
                pipe.incr(key)
                pipe.pttl(key)
                _, failures, left = await pipe.execute()
        except RedisError as exc:
            log.warning("a wrong key from %s not counted (Redis: %s)", address, exc)
            return
        if int(failures) >= self.settings.sign_in_failures:
            self._block(address, left / 1000 if left > 0 else self.settings.sign_in_window_seconds)
