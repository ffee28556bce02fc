"""Who is calling: a Bearer access token, or (for safe methods and WebSockets only) the UI's cookie.
This module checks the token and its session; the account behind it is the accounts domain's to look up
(`domain/accounts/deps.py`), so `core/` knows no domain.

The cookie exists so `<img src>` and the WebSocket work in a browser; it is refused on state-changing
methods, which keeps cookie-borne CSRF out of the picture.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType

from bookreader.core.errors import Unauthorized, Unavailable
from bookreader.core.security import AccessClaims, decode_access_token

log = logging.getLogger(__name__)

ACCESS_COOKIE = "bookreader_access"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def revoked_session_key(session_id: uuid.UUID | str) -> str:
    return f"bookreader:revoked-session:{session_id}"


def _token_from(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return str(header[7:]).strip() or None
    if connection.scope["type"] == ScopeType.WEBSOCKET:
        token = connection.query_params.get("token")
        if token:
            return str(token)
    method = connection.scope.get("method", "GET")
    if connection.scope["type"] == ScopeType.WEBSOCKET or method in SAFE_METHODS:
        return connection.cookies.get(ACCESS_COOKIE)
    return None


# set by the rate limiter, which already decoded the Bearer token and asked Redis about its session in the
# same round trip as the counters: (token, claims) and (session id, revoked)
CLAIMS_STATE = "access_claims"
REVOKED_STATE = "session_revoked"


def _claims(connection: ASGIConnection[Any, Any, Any, Any], token: str, secret: str) -> AccessClaims | None:
    cached = connection.scope.get("state", {}).get(CLAIMS_STATE)
    if cached is not None and cached[0] == token:
        claims: AccessClaims = cached[1]
        return claims
    return decode_access_token(token, secret)


async def _revoked(connection: ASGIConnection[Any, Any, Any, Any], session_id: uuid.UUID) -> bool:
    known = connection.scope.get("state", {}).get(REVOKED_STATE)
    if known is not None and known[0] == session_id:
        return bool(known[1])
    try:
        return bool(await connection.app.state.redis.exists(revoked_session_key(session_id)))
    except Exception as exc:  # fail closed: a signed-out session must not come back while Redis is away
        log.warning("revocation check impossible: %s", type(exc).__name__)
        raise Unavailable("Sessions cannot be checked right now; try again shortly.") from None


async def verified_claims(connection: ASGIConnection[Any, Any, Any, Any]) -> AccessClaims:
    """The claims of the caller's valid access token whose session is not revoked, or `Unauthorized`."""
    token = _token_from(connection)
    if not token:
        raise Unauthorized("Sign in to continue.")
    claims = _claims(connection, token, connection.app.state.settings.secret_key)
    if claims is None:
        raise Unauthorized("The access token is invalid or expired.", code="invalid_token")
    if await _revoked(connection, claims.session_id):
        raise Unauthorized("This session has ended.", code="invalid_token")
    return claims


def remember_session(connection: ASGIConnection[Any, Any, Any, Any], claims: AccessClaims) -> None:
    """Note the authenticated session on the connection (sign-out, and the WebSocket's expiry close)."""
    connection.scope.setdefault("state", {})["session_id"] = claims.session_id
    connection.scope["state"]["token_exp"] = claims.exp  # long-lived WebSockets close when it expires


def inactive_account() -> Unauthorized:
    return Unauthorized("The account is not active.", code="invalid_token")


class Caller(msgspec.Struct, frozen=True):
    """A signed-in caller whose account row is not loaded: for the hot reads and writes whose one statement
    also checks the account is active (no row → `inactive_account()`), saving a round trip per request."""

    user_id: uuid.UUID
    session_id: uuid.UUID


async def provide_caller(request: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    claims = await verified_claims(request)
    remember_session(request, claims)
    return Caller(claims.user_id, claims.session_id)
