"""Passwords (argon2), access tokens (short-lived JWT) and opaque refresh tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

import anyio
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_ALGORITHM = "HS256"
_dummy_hash: str | None = None


def configure_password_hashing(memory_kib: int) -> None:
    """argon2's memory cost for new hashes (settings.password_hash_memory_kib); verifying reads each hash's
    own parameters, so hashes made with another cost keep working."""
    global _hasher, _dummy_hash
    if memory_kib != _hasher.memory_cost:
        _hasher, _dummy_hash = PasswordHasher(memory_cost=memory_kib), None


def _dummy() -> str:
    # verifying against this keeps unknown-email logins as slow as wrong-password ones
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not-a-real-password")
    return _dummy_hash


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# argon2 costs ~50 ms of CPU and ~64 MiB: in threads so the event loop keeps serving, but only a few at once
# so a burst of logins queues here instead of exhausting memory or starving the loop's own thread
HASH_CONCURRENCY = 2
_limiter: anyio.CapacityLimiter | None = None


def _hash_limiter() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(HASH_CONCURRENCY)
    return _limiter


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password, limiter=_hash_limiter())


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(verify_password, password_hash, password, limiter=_hash_limiter())


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def encode_access_token(*, user_id: uuid.UUID, session_id: uuid.UUID, secret: str, ttl: int) -> str:
    now = int(time.time())
    claims = {"sub": str(user_id), "sid": str(session_id), "iat": now, "exp": now + ttl, "typ": "access"}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


class AccessClaims:
    __slots__ = ("exp", "session_id", "user_id")

    def __init__(self, user_id: uuid.UUID, session_id: uuid.UUID, exp: int) -> None:
        self.user_id, self.session_id, self.exp = user_id, session_id, exp


# Verified tokens, so a client sending the same access token with every request pays for the HMAC and
# PyJWT's parsing once per process, not once per request (~10 % of a chapter read). A token's claims never
# change; expiry is checked on every use; revocation is not a property of the token (checked in Redis).
_VERIFIED_MAX = 10_000
_verified: dict[tuple[str, str], AccessClaims] = {}


def decode_access_token(token: str, secret: str) -> AccessClaims | None:
    key = (token, secret)
    cached = _verified.get(key)
    if cached is not None:
        if cached.exp > time.time():
            return cached
        del _verified[key]
        return None
    claims = _decode_access_token(token, secret)
    if claims is not None:
        if len(_verified) >= _VERIFIED_MAX:  # crude but bounded: forget the oldest half
            for old in list(_verified)[: _VERIFIED_MAX // 2]:
                del _verified[old]
        _verified[key] = claims
    return claims


def _decode_access_token(token: str, secret: str) -> AccessClaims | None:
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]})
        if claims.get("typ") != "access":
            return None
        return AccessClaims(uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]), int(claims["exp"]))
    except (jwt.PyJWTError, KeyError, ValueError):
        return None
