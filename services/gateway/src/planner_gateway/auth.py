"""Who is calling: a bearer API key with roles, or a console session cookie.

planner: start, re-forecast and cancel workflows, upload data. approver: decide approvals.
operator: the debug endpoints, and any season's writes. Any valid key may read. Which season a
planner may write to, and who may decide on it: `planner_gateway.access`. The WebSocket
accepts the same key as `?token=`, as `Authorization: Bearer <key>`, or as the subprotocol
pair `bearer, <key>` (what a browser can send), or the console's session cookie.

Wrong keys are counted per client address; past a limit every key from it gets 429 for a
while (`sign_in_guard`).

A console signs in with `POST /api/session` (`console_sessions`): the cookie then stands for
the key. A write (any method but GET, HEAD, OPTIONS) made with the cookie must carry the
session's CSRF token in `X-CSRF-Token`, or it is refused with 403 `csrf_failed`; a bearer key
needs none (a browser never attaches it by itself). A WebSocket opened with the cookie must
come from the gateway's own origin (or a configured CORS origin), so another site cannot open
one in the visitor's name.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from planner_gateway import console_sessions
from planner_gateway.deps import get_state
from planner_gateway.errors import ApiError
from planner_gateway.settings import GatewaySettings, Role
from planner_gateway.sign_in_guard import client_address

WS_SUBPROTOCOL = "bearer"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[Role]
    via_session: bool = False


def authenticate(settings: GatewaySettings, token: str | None) -> Principal | None:
    if not token:
        return None
    found: Principal | None = None
    # Compare against every key in constant time, so timing does not reveal a near match.
    for key, grant in settings.api_keys.items():
        if hmac.compare_digest(key.encode(), token.encode()):
            found = Principal(grant.name, grant.roles)
    return found


def websocket_token(conn: HTTPConnection) -> tuple[str | None, str | None]:
    """The key a WebSocket client presented, and the subprotocol to accept (if it used one)."""
    if token := conn.query_params.get("token"):
        return token, None
    authorization = conn.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip(), None
    offered = [p.strip() for p in conn.headers.get("sec-websocket-protocol", "").split(",")]
    if len(offered) >= 2 and offered[0].lower() == WS_SUBPROTOCOL:
        return offered[1], offered[0]
    return None, None


def same_origin(conn: HTTPConnection, settings: GatewaySettings) -> bool:
    """Whether a browser request comes from the gateway's own page or an allowed origin."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-site request: browsers always send Origin here
    if origin in settings.cors_origins:
        return True
    return urlsplit(origin).netloc.lower() == conn.headers.get("host", "").lower()


async def session_principal(conn: HTTPConnection) -> tuple[Principal, str] | None:
    """The principal behind the request's session cookie and the session's CSRF token."""
    token = conn.cookies.get(console_sessions.SESSION_COOKIE)
    if not token:
        return None
    settings = gateway_settings(conn)
    async with conn.app.state.runtime.sessionmaker() as session:
        active = await console_sessions.lookup(session, settings, token)
    if active is None:
        return None
    return Principal(active.grant.name, active.grant.roles, via_session=True), active.csrf_token


async def websocket_principal(conn: HTTPConnection) -> tuple[Principal | None, str | None]:
    """Who opened a WebSocket, and the subprotocol to accept."""
    settings = gateway_settings(conn)
    token, subprotocol = websocket_token(conn)
    if token is not None:
        guard, address = get_state(conn).sign_ins, client_address(conn)
        try:
            guard.refuse_if_seen_blocked(address)
        except ApiError:
            return None, subprotocol
        principal = authenticate(settings, token)
        if principal is None:
            await guard.failed(address)
        return principal, subprotocol
    if not same_origin(conn, settings):
        return None, None
    found = await session_principal(conn)
    return (found[0] if found else None), None


def gateway_settings(conn: HTTPConnection) -> GatewaySettings:
    settings = conn.app.state.runtime.settings
    assert isinstance(settings, GatewaySettings)
    return settings


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from PLANNER_GATEWAY_API_KEYS, sent as `Authorization: Bearer <key>`.",
)
_cookie = APIKeyCookie(
    name=console_sessions.SESSION_COOKIE,
    auto_error=False,
    scheme_name="ConsoleSession",
    description="The console's session cookie from POST /api/session; writes also need the "
    "X-CSRF-Token header.",
)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is not None:
        guard, address = get_state(request).sign_ins, client_address(request)
        guard.refuse_if_seen_blocked(address)
        principal = authenticate(gateway_settings(request), credentials.credentials)
        if principal is None:
            await guard.failed(address)
            raise ApiError(401, "unknown API key", headers=unauthorized)
        return principal
    if cookie is None:
        raise ApiError(
            401,
            "missing API key: send Authorization: Bearer <key>, or sign in (POST /api/session)",
            headers=unauthorized,
        )
    found = await session_principal(request)
    if found is None:
        raise ApiError(
            401,
            "the session has expired or was signed out: sign in again (POST /api/session)",
            code="session_expired",
            headers=unauthorized,
        )
    principal, csrf_token = found
    if request.method not in SAFE_METHODS and not console_sessions.csrf_matches(
        csrf_token, request.headers.get(console_sessions.CSRF_HEADER)
    ):
        raise ApiError(
            403,
            f"a write with the session cookie needs the {console_sessions.CSRF_HEADER} header "
            "holding the session's CSRF token (the planner_csrf cookie)",
            code="csrf_failed",
        )
    return principal


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if role not in principal.roles:
            raise ApiError(
                403, f"this action needs the {role.value} role; {principal.name} lacks it"
            )
        return principal

    return check


def require_any(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.roles & set(roles):
            needs = " or ".join(role.value for role in roles)
            raise ApiError(403, f"this action needs the {needs} role; {principal.name} lacks it")
        return principal

    return check


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Planner = Annotated[Principal, Depends(require(Role.PLANNER))]
Approver = Annotated[Principal, Depends(require(Role.APPROVER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
# A write on a season: its planner, or an operator (planner_gateway.access says which seasons).
SeasonWriter = Annotated[Principal, Depends(require_any(Role.PLANNER, Role.OPERATOR))]
