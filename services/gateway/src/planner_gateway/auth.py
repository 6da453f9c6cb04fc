"""Bearer API keys with roles.

planner: start, re-forecast and cancel workflows, upload data. approver: decide approvals.
operator: the debug endpoints. Any valid key may read. The WebSocket accepts the same key as
`?token=`, as `Authorization: Bearer <key>`, or as the subprotocol pair `bearer, <key>` (what
a browser can send).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from planner_gateway.errors import ApiError
from planner_gateway.settings import GatewaySettings, Role

WS_SUBPROTOCOL = "bearer"


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[Role]


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


def gateway_settings(conn: HTTPConnection) -> GatewaySettings:
    settings = conn.app.state.runtime.settings
    assert isinstance(settings, GatewaySettings)
    return settings


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from PLANNER_GATEWAY_API_KEYS, sent as `Authorization: Bearer <key>`.",
)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiError(
            401, "missing API key: send Authorization: Bearer <key>", headers=unauthorized
        )
    principal = authenticate(gateway_settings(request), credentials.credentials)
    if principal is None:
        raise ApiError(401, "unknown API key", headers=unauthorized)
    return principal


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if role not in principal.roles:
            raise ApiError(
                403, f"this action needs the {role.value} role; {principal.name} lacks it"
            )
        return principal

    return check


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Planner = Annotated[Principal, Depends(require(Role.PLANNER))]
Approver = Annotated[Principal, Depends(require(Role.APPROVER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
