"""Rate limits in Redis: window counters (INCR + EXPIRE in one pipeline, sliding-window weighting), so every
API replica shares the same counts.

Two limits: a general one per user (per IP when anonymous) on `/api/`, and a strict one on login/register
per IP + email (brute force, sign-up spam). Over a limit → 429 problem+json with `Retry-After`. If Redis does
not answer, requests pass (fail open) and a warning is logged: `/ready` already reports Redis as down.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from bookreader.core.errors import PROBLEM_JSON, Problem
from bookreader.core.security import decode_access_token
from bookreader.settings import Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "bookreader:ratelimit"
STRICT_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/auth/register"})
REDIS_TIMEOUT = 0.5  # a slow Redis must not make every request slow
_last_warning = 0.0


async def hit(redis, key: str, limit: int, window: int, now: float | None = None) -> int:
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


def client_ip(scope: Scope, trust_forwarded: bool) -> str:
    if trust_forwarded:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                return value.decode("latin-1").split(",")[0].strip()
    client = scope.get("client")
    return client[0] if client else "unknown"


def _bearer_user(scope: Scope, settings: Settings) -> str | None:
    """The user id in a valid access token (signature checked; no DB round trip)."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            claims = decode_access_token(value[7:].decode("latin-1").strip(), settings.secret_key)
            return str(claims.user_id) if claims else None
    return None


class _Email(msgspec.Struct):
    email: str = ""


async def _buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read the (small) request body and hand the app a `receive` that replays it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _email_of(body: bytes) -> str:
    try:
        return msgspec.json.decode(body, type=_Email).email.strip().lower()
    except msgspec.DecodeError:
        return ""


async def _reject(send: Send, retry_after: int) -> None:
    body = msgspec.json.encode(
        Problem(
            status=429,
            title="Too many requests",
            detail=f"Too many requests; try again in {retry_after} s.",
            code="rate_limited",
        )
    )
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _warn_open(exc: BaseException) -> None:
    global _last_warning
    if time.monotonic() - _last_warning > 10:  # one line per 10 s, not one per request
        _last_warning = time.monotonic()
        log.warning("rate limiting skipped (Redis unavailable: %s)", type(exc).__name__)


def rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or scope.get("method") == "OPTIONS":
            await app(scope, receive, send)
            return
        state = scope["app"].state
        settings: Settings = state.settings
        window = settings.rate_limit_window
        ip = client_ip(scope, settings.rate_limit_trust_forwarded)
        checks: list[tuple[str, int]] = []
        if path in STRICT_PATHS and scope.get("method") == "POST" and settings.rate_limit_auth:
            body, receive = await _buffer_body(receive)
            email_hash = hashlib.sha256(_email_of(body).encode()).hexdigest()[:16]
            checks.append((f"auth:{ip}:{email_hash}", settings.rate_limit_auth))
        if settings.rate_limit_general:
            who = _bearer_user(scope, settings)
            checks.append((f"user:{who}" if who else f"ip:{ip}", settings.rate_limit_general))
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):  # no extra task per request, unlike wait_for
                retry_after = 0
                for key, limit in checks:
                    retry_after = retry_after or await hit(state.redis, key, limit, window)
        except Exception as exc:  # fail open: availability over strictness
            _warn_open(exc)
            retry_after = 0
        if retry_after:
            await _reject(send, retry_after)
            return
        await app(scope, receive, send)

    return middleware
