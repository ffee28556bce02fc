"""Rate limits in Redis: window counters (INCR + EXPIRE in one pipeline, sliding-window weighting), so every
API replica shares the same counts.

Three limits: a general one per user (per IP when anonymous) on `/api/`, and two strict ones on
login/register: per IP + email (brute force on one account) and per IP alone (spraying many emails, sign-up
spam, email enumeration). Over a limit → 429 problem+json with `Retry-After`. If Redis does not answer,
requests pass (fail open) and a warning is logged: `/ready` already reports Redis as down.

The auth body is read here, before any handler, to key the limit by email: it must be JSON and at most
`AUTH_BODY_LIMIT` bytes (Content-Length checked first, then counted while reading), so an anonymous client
cannot make the process buffer a large body.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.types.asgi_types import (
    HTTPRequestEvent,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    ReceiveMessage,
)
from redis.asyncio import Redis

from bookreader.core.auth import CLAIMS_STATE, REVOKED_STATE, revoked_session_key
from bookreader.core.errors import PROBLEM_JSON, Problem
from bookreader.core.redis_wire import RedisWire
from bookreader.core.security import AccessClaims, decode_access_token
from bookreader.settings import Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "bookreader:ratelimit"
# credentials or one-time tokens in the body: JSON only, small, limited per IP (+ email where there is one)
STRICT_PATHS = frozenset(
    {"/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/password", "/api/v1/auth/password-reset"}
)
REDIS_TIMEOUT = 0.5  # a slow Redis must not make every request slow
AUTH_BODY_LIMIT = 4096  # bytes: an email and a password fit many times over
_last_warning = 0.0


async def hit(redis: Redis, key: str, limit: int, window: int, now: float | None = None) -> int:
    """Count one request against `key`; 0 if allowed, else the seconds to wait.

    Sliding window approximation: this window's count plus the previous window's, weighted by how much of
    it still overlaps the last `window` seconds — no double burst across a window boundary.
    """
    now = time.time() if now is None else now
    slot = int(now // window)
    current, previous = f"{KEY_PREFIX}:{key}:{slot}", f"{KEY_PREFIX}:{key}:{slot - 1}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(current)
        pipe.expire(current, 2 * window + 1)
        pipe.get(previous)
        count, _, before = await pipe.execute()
    elapsed = (now - slot * window) / window
    weighted = count + int(before or 0) * (1 - elapsed)
    if weighted <= limit:
        return 0
    return max(1, int((slot + 1) * window - now + 0.999))


def client_ip(scope: Scope, trust_forwarded: bool, trusted_proxies: frozenset[str] = frozenset()) -> str:
    """The caller's address. Behind proxies: the rightmost X-Forwarded-For hop that is not one of ours.

    The leftmost hop is whatever the client wrote, so it is never trusted; each proxy appends the address
    it saw, so walking from the right past our own proxies finds the first address no client could forge.
    """
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not trust_forwarded:
        return peer
    hops: list[str] = []
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            hops.extend(hop.strip() for hop in value.decode("latin-1").split(","))
    for hop in reversed(hops):
        if hop and hop not in trusted_proxies:
            return hop
    return peer


def _bearer(scope: Scope, settings: Settings) -> tuple[str, AccessClaims | None] | None:
    """The Bearer token and its claims (signature checked; no DB round trip), decoded once per request: the
    handler's authentication reuses them (`core.auth.CLAIMS_STATE`)."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            token = value[7:].decode("latin-1").strip()
            return token, decode_access_token(token, settings.secret_key)
    return None


# `hit` plus the revocation check as one script: one command and one reply for redis-py to encode and parse
# (a MULTI/INCR/EXPIRE/GET/EXISTS/EXEC pipeline is six of each, ~8 % of a chapter read's CPU). Atomic like
# the transaction it replaces. KEYS: current window, previous window, revoked-session key (or "").
HIT_AND_CHECK_REVOKED = """
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
local before = redis.call('GET', KEYS[2]) or '0'
local revoked = 0
if KEYS[3] ~= '' then revoked = redis.call('EXISTS', KEYS[3]) end
return {count, tonumber(before), revoked}
"""
_scripts: dict[int, Any] = {}  # per Redis client: its registered script


async def hit_and_check_revoked(
    redis: Redis | RedisWire, key: str, limit: int, window: int, session_id: uuid.UUID | None
) -> tuple[int, bool]:
    """`hit` and, in the same round trip (one atomic script), whether the caller's session was revoked.
    Through `RedisWire` (the hot path: its own deadline, a fraction of redis-py's cost) or redis-py."""
    now = time.time()
    slot = int(now // window)
    current, previous = f"{KEY_PREFIX}:{key}:{slot}", f"{KEY_PREFIX}:{key}:{slot - 1}"
    revoked_key = revoked_session_key(session_id) if session_id is not None else ""
    keys, args = [current, previous, revoked_key], [2 * window + 1]
    if isinstance(redis, RedisWire):
        count, before, revoked = await redis.evalsha(HIT_AND_CHECK_REVOKED, keys, args)
    else:
        script = _scripts.get(id(redis))
        if script is None:
            script = _scripts[id(redis)] = redis.register_script(HIT_AND_CHECK_REVOKED)
        count, before, revoked = await script(keys=keys, args=args)
    elapsed = (now - slot * window) / window
    weighted = int(count) + int(before) * (1 - elapsed)
    retry_after = 0 if weighted <= limit else max(1, int((slot + 1) * window - now + 0.999))
    return retry_after, bool(revoked)


def limiter_wire(settings: Settings) -> RedisWire | None:
    """The general limit's own pipelined connection (`core.redis_wire`); None: redis-py does it."""
    return RedisWire.from_url(settings.redis_url, REDIS_TIMEOUT) if settings.redis_url else None


async def close_limiter_wire(wire: RedisWire | None) -> None:
    if wire is not None:
        await wire.close()


class _AuthBody(msgspec.Struct):
    email: str = ""
    token: str = ""


class BodyRejected(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _header(scope: Scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return ""


def check_auth_request(scope: Scope) -> None:
    """JSON only (a form or text/plain post from another site must not sign anyone in) and small."""
    media_type = _header(scope, b"content-type").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise BodyRejected(415, "unsupported_media_type", "Send the credentials as application/json.")
    length = _header(scope, b"content-length")
    if length and (not length.isdigit() or int(length) > AUTH_BODY_LIMIT):
        raise BodyRejected(
            413, "body_too_large", f"The request body must be at most {AUTH_BODY_LIMIT} bytes."
        )


async def _buffer_body(receive: Receive, limit: int = AUTH_BODY_LIMIT) -> tuple[bytes, Receive]:
    """Read the (small) request body — at most `limit` bytes — and hand the app a `receive` that replays it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyRejected(413, "body_too_large", f"The request body must be at most {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> ReceiveMessage:
        nonlocal replayed
        if not replayed:
            replayed = True
            replayed_body: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
            return replayed_body
        return await receive()

    return body, replay


def _account_of(body: bytes, claims: AccessClaims | None) -> str:
    """Whom a strict request is aimed at: the email (login, register), the one-time token (password reset),
    else the signed-in user (password change). Without this, every email-less request from one address
    would share one bucket, and one user changing a password would lock out the others behind that NAT."""
    try:
        parsed = msgspec.json.decode(body, type=_AuthBody)
    except msgspec.DecodeError:
        parsed = _AuthBody()
    if parsed.email:
        return "email:" + parsed.email.strip().lower()
    if parsed.token:
        return "token:" + parsed.token
    return f"user:{claims.user_id}" if claims else ""


_TITLES = {413: "Too large", 415: "Unsupported media type", 429: "Too many requests"}


async def send_problem(
    send: Send, status: int, code: str, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    body = msgspec.json.encode(
        Problem(status=status, title=_TITLES.get(status, "Error"), detail=detail, code=code)
    )
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
    }
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)


async def _reject(send: Send, retry_after: int) -> None:
    detail = f"Too many requests; try again in {retry_after} s."
    await send_problem(send, 429, "rate_limited", detail, [(b"retry-after", str(retry_after).encode())])


def _warn_open(exc: BaseException) -> None:
    global _last_warning
    if time.monotonic() - _last_warning > 10:  # one line per 10 s, not one per request
        _last_warning = time.monotonic()
        log.warning("rate limiting skipped (Redis unavailable: %s)", type(exc).__name__)


def rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != ScopeType.HTTP
            or not path.startswith("/api/")
            or scope.get("method") == "OPTIONS"
        ):
            await app(scope, receive, send)
            return
        state = scope["app"].state
        settings: Settings = state.settings
        window = settings.rate_limit_window
        ip = client_ip(scope, settings.rate_limit_trust_forwarded, frozenset(settings.trusted_proxies))
        bearer = _bearer(scope, settings)
        claims = bearer[1] if bearer else None
        if bearer is not None:
            scope.setdefault("state", {})[CLAIMS_STATE] = bearer
        checks: list[tuple[str, int]] = []
        if path in STRICT_PATHS and scope.get("method") == "POST":
            try:
                check_auth_request(scope)
                body, receive = await _buffer_body(receive)
            except BodyRejected as rejected:
                await send_problem(send, rejected.status, rejected.code, rejected.detail)
                return
            if settings.rate_limit_auth:
                account_hash = hashlib.sha256(_account_of(body, claims).encode()).hexdigest()[:16]
                checks.append((f"auth:{ip}:{account_hash}", settings.rate_limit_auth))
            if settings.rate_limit_auth_ip:
                checks.append((f"auth-ip:{ip}", settings.rate_limit_auth_ip))
        try:
            retry_after = 0
            if checks:
                async with asyncio.timeout(REDIS_TIMEOUT):  # no extra task per request, unlike wait_for
                    for key, limit in checks:
                        retry_after = retry_after or await hit(state.redis, key, limit, window)
            if settings.rate_limit_general and not retry_after:
                who = f"user:{claims.user_id}" if claims else f"ip:{ip}"
                session = claims.session_id if claims else None
                wire: RedisWire | None = state.get("redis_wire")
                if wire is not None:  # its own deadline (REDIS_TIMEOUT): no timer per request
                    retry_after, revoked = await hit_and_check_revoked(
                        wire, who, settings.rate_limit_general, window, session
                    )
                else:
                    async with asyncio.timeout(REDIS_TIMEOUT):
                        retry_after, revoked = await hit_and_check_revoked(
                            state.redis, who, settings.rate_limit_general, window, session
                        )
                if session is not None:
                    scope["state"][REVOKED_STATE] = (session, revoked)
        except (
            Exception
        ) as exc:  # fail open: availability over strictness (revocation: checked again, closed)
            _warn_open(exc)
            retry_after = 0
        if retry_after:
            await _reject(send, retry_after)
            return
        await app(scope, receive, send)

    return middleware
