"""Console sign-in sessions: an API key exchanged for an HttpOnly cookie with an expiry.

The cookie holds a random token; the database keeps only its SHA-256, the SHA-256 of the API
key it was exchanged for (so removing a key from `PLANNER_GATEWAY_API_KEYS` ends its sessions,
and its roles are always the key's current ones) and a CSRF token. Writes made with the cookie
must repeat that CSRF token in the `X-CSRF-Token` header: another site can make a browser send
the cookie, but cannot read the token (it is in a readable, same-site cookie and in the sign-in
answer, both out of another origin's reach).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.settings import ApiKeyGrant, GatewaySettings
from planner_shared.db.models import ConsoleSession
from planner_shared.settings import Environment

SESSION_COOKIE = "planner_session"
CSRF_COOKIE = "planner_csrf"
CSRF_HEADER = "X-CSRF-Token"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    token: str
    csrf_token: str
    expires_at: datetime
    name: str
    grant: ApiKeyGrant


@dataclass(frozen=True)
class ActiveSession:
    session_id: str
    csrf_token: str
    expires_at: datetime
    grant: ApiKeyGrant


def cookie_secure(settings: GatewaySettings) -> bool:
    if settings.session_cookie_secure == "auto":
        return settings.environment is Environment.PRODUCTION
    return settings.session_cookie_secure == "always"


def grant_for_digest(settings: GatewaySettings, key_sha256: str) -> ApiKeyGrant | None:
    found: ApiKeyGrant | None = None
    for key, grant in settings.api_keys.items():
        if hmac.compare_digest(digest(key), key_sha256):
            found = grant
    return found


async def sign_in(
    session: AsyncSession, settings: GatewaySettings, api_key: str, grant: ApiKeyGrant
) -> SignedIn:
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(seconds=settings.session_ttl_seconds)
    session.add(
        ConsoleSession(
            token_sha256=digest(token),
            key_sha256=digest(api_key),
            principal_name=grant.name,
            csrf_token=csrf_token,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return SignedIn(token, csrf_token, expires_at, grant.name, grant)


async def lookup(
    session: AsyncSession, settings: GatewaySettings, token: str
) -> ActiveSession | None:
    """The live session behind a cookie value: not expired, not signed out, key still valid."""
    row = await session.scalar(
        select(ConsoleSession).where(ConsoleSession.token_sha256 == digest(token))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= datetime.now(UTC):
        return None
    grant = grant_for_digest(settings, row.key_sha256)
    if grant is None:
        return None
    return ActiveSession(str(row.id), row.csrf_token, row.expires_at, grant)


async def sign_out(session: AsyncSession, token: str) -> bool:
    result = await session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.token_sha256 == digest(token), ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return bool(getattr(result, "rowcount", 0))


def csrf_matches(expected: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(expected.encode(), sent.encode())
