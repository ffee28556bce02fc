"""Device passwords: named, shown once, stored hashed, revocable; they open only the OPDS and sync routes.

HTTP Basic clients (OPDS readers) send `email:password`; KOReader's sync plugin sends `x-auth-user` (email)
and `x-auth-key` (md5 hex of the password). Both reduce to `sha256(md5hex(password))`, one indexed lookup.
The passwords are ~100 random bits, so a fast hash is safe; the account password (only when the operator
allows it on these routes) goes through argon2 in a worker thread (`verify_password_async`). Failed attempts are counted per client IP
and, past `rate_limit_auth` per window, refused with 429 before any verification.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from litestar.connection import ASGIConnection
from redis.asyncio import Redis

from bookreader.core.errors import NotFound, RateLimited, Unauthorized
from bookreader.core.ratelimit import KEY_PREFIX, client_ip, hit
from bookreader.core.security import verify_password_async
from bookreader.domain.accounts.service import normalize_email
from bookreader.domain.accounts.tables import User
from bookreader.domain.devices.schemas import DevicePasswordCreated, DevicePasswordRead
from bookreader.domain.devices.tables import DevicePassword
from bookreader.settings import Settings

log = logging.getLogger(__name__)

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: typed on e-ink keyboards
_TOUCH_EVERY = timedelta(minutes=1)
PENDING_HOURS = 24  # a registration from a device not approved in the web UI within this is forgotten
# one round trip per request: the device password and its account
_USER_COLUMNS = ", ".join(f'u."{column._meta.db_column_name}"' for column in User._meta.columns)
_USER_BY_KEY = f"""
SELECT {_USER_COLUMNS}, d.id AS device_password_id, d.last_used_at AS device_password_last_used_at,
       d.pending AS device_password_pending
FROM device_passwords d JOIN users u ON u.id = d.owner
WHERE d.key_hash IN ({{}}, {{}}) AND (NOT d.pending OR d.created_at > now() - interval '{PENDING_HOURS} hours')
"""
BASIC_REALM = 'Basic realm="BookReader", charset="UTF-8"'


class DevicePending(Unauthorized):
    """Raised, not returned, so that a device waiting for its owner's approval is told so and its tries are
    not counted as failed sign-ins."""

    code = "device_pending"

    def __init__(self) -> None:
        super().__init__(
            "This device is waiting for approval: open BookReader's web UI, Devices, and approve it.",
            headers={"WWW-Authenticate": BASIC_REALM},
        )


def new_password() -> str:
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)  # 20 symbols of 31: ~99 bits


def key_hash(md5_hex: str) -> str:
    return hashlib.sha256(md5_hex.strip().lower().encode()).hexdigest()


def registered_key_hash(md5_hex: str, settings: Settings) -> str:
    """The stored hash of a key a device registered (`POST /kosync/users/create`): the password behind it was
    chosen by a person, not by us, so its md5 is peppered with the server's secret (an HMAC) — a leaked table
    alone gives nothing to brute-force."""
    message = b"kosync-registration:" + md5_hex.strip().lower().encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def password_key(password: str) -> str:
    return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()


async def create(user: User, name: str) -> DevicePasswordCreated:
    password = new_password()
    row = DevicePassword(
        owner=user.id, name=name.strip()[:100] or "Device", key_hash=key_hash(password_key(password))
    )
    await row.save()
    return DevicePasswordCreated(
        id=row.id, name=row.name, password=password, created_at=row.created_at, username=user.email
    )


async def list_for(user: User) -> list[DevicePasswordRead]:
    rows = (
        await DevicePassword.select()
        .where(DevicePassword.owner == user.id)
        .order_by(DevicePassword.created_at, ascending=False)
    )
    return [read_row(row) for row in rows if not _expired(row)]


def _expired(row: dict) -> bool:
    return bool(row["pending"]) and datetime.now(UTC) - row["created_at"] > timedelta(hours=PENDING_HOURS)


def read_row(row: dict) -> DevicePasswordRead:
    return DevicePasswordRead(
        id=row["id"], name=row["name"], created_at=row["created_at"], last_used_at=row["last_used_at"],
        pending=row["pending"], requested_from=row["requested_from"],
        expires_at=row["created_at"] + timedelta(hours=PENDING_HOURS) if row["pending"] else None,
    )  # fmt: skip


async def approve(user: User, password_id: uuid.UUID) -> DevicePasswordRead:
    """The owner lets a device that registered itself from KOReader in: from now on its key signs in."""
    rows = (
        await DevicePassword.update({DevicePassword.pending: False})
        .where(
            DevicePassword.id == password_id,
            DevicePassword.owner == user.id,
            DevicePassword.created_at > datetime.now(UTC) - timedelta(hours=PENDING_HOURS),
        )
        .returning(*DevicePassword.all_columns())
    )
    if not rows:
        raise NotFound("No such device waiting for approval.", code="device_password_not_found")
    return read_row(rows[0])


async def revoke(user: User, password_id: uuid.UUID) -> None:
    deleted = (
        await DevicePassword.delete()
        .where(DevicePassword.id == password_id, DevicePassword.owner == user.id)
        .returning(DevicePassword.id)
    )
    if not deleted:
        raise NotFound("No such device password.", code="device_password_not_found")


async def user_for_key(email: str, md5_key: str, settings: Settings) -> User | None:
    """The active account `email` if `md5_key` is the md5 of one of its device passwords (made in the web UI,
    or registered from a device and approved); a registration still waiting for approval is a `DevicePending`."""
    if not email or not md5_key or len(md5_key) > 128:
        return None
    rows = await DevicePassword.raw(_USER_BY_KEY, key_hash(md5_key), registered_key_hash(md5_key, settings))
    if not rows:
        return None
    row = rows[0]
    device_id, last_used_at = row.pop("device_password_id"), row.pop("device_password_last_used_at")
    pending = row.pop("device_password_pending")
    user = User(_exists_in_db=True, **row)
    if user.disabled or user.email != normalize_email(email):
        return None
    if pending:
        raise DevicePending()
    now = datetime.now(UTC)
    if last_used_at is None or now - last_used_at > _TOUCH_EVERY:
        await DevicePassword.update({DevicePassword.last_used_at: now}).where(DevicePassword.id == device_id)
    return user


async def user_for_password(email: str, password: str, settings: Settings) -> User | None:
    user = await user_for_key(email, password_key(password), settings)
    if user is not None or not settings.opds_allow_account_password:
        return user
    account = await User.objects().where(User.email == normalize_email(email)).first()
    ok = await verify_password_async(account.password_hash if account else None, password)
    return account if ok and account is not None and not account.disabled else None


def basic_credentials(connection: ASGIConnection) -> tuple[str, str] | None:
    header = connection.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    email, sep, password = decoded.partition(":")
    return (email, password) if sep else None


async def _guarded(
    connection: ASGIConnection, settings: Settings, redis: Redis, email: str, attempt
) -> User | None:
    """Run `attempt()` unless this client failed too often — for this email (`rate_limit_auth`) or for any
    (`rate_limit_auth_ip`) per window — and count a failure."""
    if not settings.rate_limit_auth:
        return await attempt()
    ip = client_ip(connection.scope, settings.rate_limit_trust_forwarded, frozenset(settings.trusted_proxies))
    subject = hashlib.sha256(normalize_email(email).encode()).hexdigest()[:16]
    limits = [(f"device-auth:{ip}:{subject}", settings.rate_limit_auth)]
    if settings.rate_limit_auth_ip:
        limits.append((f"device-auth:{ip}", settings.rate_limit_auth_ip))
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for key, _ in limits:
                pipe.ttl(f"{KEY_PREFIX}:{key}:blocked")
            blocked = max(await pipe.execute())
    except Exception as exc:  # Redis away: authentication still works, unthrottled
        log.warning("device auth throttle skipped: %s", exc)
        return await attempt()
    if blocked > 0:
        raise RateLimited("Too many failed sign-ins; try again later.", headers={"Retry-After": str(blocked)})
    user = await attempt()
    if user is None:
        for key, limit in limits:
            wait = await hit(redis, key, limit, settings.rate_limit_window)
            if wait:
                await redis.set(f"{KEY_PREFIX}:{key}:blocked", b"1", ex=wait)
    return user


async def basic_user(request: ASGIConnection, settings: Settings, redis: Redis) -> User:
    """The account behind HTTP Basic credentials (a device password, or the account's own when allowed).
    A Litestar dependency: the parameter is named `request` so Litestar injects the connection; `settings`
    and `redis` are the app's (core/deps.py)."""
    connection = request
    credentials = basic_credentials(connection)
    if credentials is None:
        raise Unauthorized(
            "Sign in with your email and a device password.", code="credentials_required",
            headers={"WWW-Authenticate": BASIC_REALM},
        )  # fmt: skip
    user = await _guarded(
        connection, settings, redis, credentials[0], lambda: user_for_password(*credentials, settings)
    )
    if user is None:
        raise Unauthorized(
            "Wrong email or device password.", code="invalid_credentials",
            headers={"WWW-Authenticate": BASIC_REALM},
        )  # fmt: skip
    return user


async def kosync_user(connection: ASGIConnection, settings: Settings, redis: Redis) -> User | None:
    """The account behind KOReader's `x-auth-user` / `x-auth-key` headers, or None."""
    email = connection.headers.get("x-auth-user", "")
    key = connection.headers.get("x-auth-key", "")
    if not email or not key:
        return None
    return await _guarded(connection, settings, redis, email, lambda: user_for_key(email, key, settings))
