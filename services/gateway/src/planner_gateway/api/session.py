"""`POST /api/session` (sign in), `DELETE /api/session` (sign out) and `GET /api/me`.

Sign-in exchanges an API key for two cookies: `planner_session` (HttpOnly, SameSite=Lax, the
session itself) and `planner_csrf` (readable by the page, SameSite=Strict, to repeat as the
`X-CSRF-Token` header on writes). Both expire with the session
(`PLANNER_GATEWAY_SESSION_TTL_SECONDS`, 8 hours by default). Too many wrong keys from one
address get 429 with `Retry-After` (`planner_gateway.sign_in_guard`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from planner_gateway import console_sessions
from planner_gateway.auth import CurrentPrincipal, authenticate, gateway_settings
from planner_gateway.deps import WriteSession, get_state
from planner_gateway.errors import ApiError, responses
from planner_gateway.schemas.session import MeRead, SessionCreate
from planner_gateway.settings import Role
from planner_gateway.sign_in_guard import client_address

router = APIRouter(tags=["session"])


def _me(
    name: str,
    roles: frozenset[Role],
    *,
    session: console_sessions.ActiveSession | console_sessions.SignedIn | None = None,
) -> MeRead:
    return MeRead(
        name=name,
        roles=sorted(roles),
        authenticated_by="session" if session else "api_key",
        can_plan=Role.PLANNER in roles,
        can_approve=Role.APPROVER in roles,
        can_operate=Role.OPERATOR in roles,
        expires_at=session.expires_at if session else None,
        csrf_token=session.csrf_token if session else None,
    )


@router.post(
    "/session",
    response_model=MeRead,
    responses=responses(),
    summary="Sign in: exchange an API key for a session cookie",
)
async def create_session(
    body: SessionCreate, request: Request, response: Response, session: WriteSession
) -> MeRead:
    settings = gateway_settings(request)
    guard, address = get_state(request).sign_ins, client_address(request)
    await guard.refuse_if_blocked(address)
    principal = authenticate(settings, body.api_key)
    if principal is None:
        await guard.failed(address)
        raise ApiError(401, "unknown API key", code="unknown_api_key")
    grant = settings.api_keys[body.api_key]
    signed = await console_sessions.sign_in(session, settings, body.api_key, grant)
    secure = console_sessions.cookie_secure(settings)
    max_age = settings.session_ttl_seconds
    response.set_cookie(
        console_sessions.SESSION_COOKIE,
        signed.token,
        max_age=max_age,
        expires=signed.expires_at,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.set_cookie(
        console_sessions.CSRF_COOKIE,
        signed.csrf_token,
        max_age=max_age,
        expires=signed.expires_at,
        path="/",
        httponly=False,
        samesite="strict",
        secure=secure,
    )
    return _me(grant.name, grant.roles, session=signed)


@router.delete(
    "/session",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(),
    summary="Sign out: end the session and clear its cookies",
)
async def delete_session(_: CurrentPrincipal, request: Request, session: WriteSession) -> Response:
    # current_principal has checked the cookie and the CSRF header (a bearer key has no
    # session to end: the call only clears any cookies).
    token = request.cookies.get(console_sessions.SESSION_COOKIE)
    if token:
        await console_sessions.sign_out(session, token)
    answer = Response(status_code=status.HTTP_204_NO_CONTENT)
    secure = console_sessions.cookie_secure(gateway_settings(request))
    for name, httponly in (
        (console_sessions.SESSION_COOKIE, True),
        (console_sessions.CSRF_COOKIE, False),
    ):
        answer.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="lax")
    return answer


@router.get("/me", response_model=MeRead, responses=responses(), summary="Who is calling")
async def me(principal: CurrentPrincipal, request: Request) -> MeRead:
    if not principal.via_session:
        return _me(principal.name, principal.roles)
    token = request.cookies.get(console_sessions.SESSION_COOKIE, "")
    settings = gateway_settings(request)
    async with request.app.state.runtime.sessionmaker() as db:
        active = await console_sessions.lookup(db, settings, token)
    if active is None:  # signed out between the check and now
        raise ApiError(401, "the session has ended: sign in again", code="session_expired")
    return _me(principal.name, principal.roles, session=active)
