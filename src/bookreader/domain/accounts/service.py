"""Accounts: registration, login, refresh-token rotation with reuse detection, ending sessions, passwords.

A session is a refresh-token family. Ending one revokes its refresh tokens in Postgres and marks the family
revoked in Redis for an access token's lifetime, so its access tokens stop at once too (see core/auth.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from asyncpg.exceptions import UniqueViolationError

from bookreader.core.auth import revoked_session_key
from bookreader.core.errors import Conflict, NotFound, Unauthorized
from bookreader.core.events import publish_sessions_ended
from bookreader.core.security import (
    encode_access_token,
    hash_password_async,
    new_refresh_token,
    token_digest,
    verify_password_async,
)
from bookreader.domain.accounts.schemas import PasswordResetIssued, TokenPair
from bookreader.domain.accounts.tables import PasswordReset, RefreshToken, User
from bookreader.settings import Settings


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def register(email: str, password: str, display_name: str | None, *, role: str = "user") -> User:
    email = normalize_email(email)
    user = User(
        email=email,
        password_hash=await hash_password_async(password),
        display_name=(display_name or email.split("@")[0]).strip(),
        role=role,
        plan="admin" if role == "admin" else "free",
    )
    try:
        await user.save()
    except UniqueViolationError:
        raise Conflict("An account with this email already exists.", code="email_taken") from None
    return user


async def authenticate_password(email: str, password: str) -> User:
    user = await User.objects().where(User.email == normalize_email(email)).first()
    verified = await verify_password_async(user.password_hash if user else None, password)
    if not verified or user is None:
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")
    if user.disabled:
        raise Unauthorized("This account is disabled.", code="account_disabled")
    return user


async def issue_tokens(
    user_id: uuid.UUID, settings: Settings, family_id: uuid.UUID | None = None
) -> TokenPair:
    family_id = family_id or uuid.uuid4()
    refresh = new_refresh_token()
    await RefreshToken(
        user=user_id,
        family_id=family_id,
        token_hash=token_digest(refresh),
        expires_at=datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl),
    ).save()
    access = encode_access_token(
        user_id=user_id, session_id=family_id, secret=settings.secret_key, ttl=settings.access_token_ttl
    )
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=settings.access_token_ttl)


async def revoke_family(family_id: uuid.UUID) -> None:
    await RefreshToken.update({RefreshToken.revoked_at: datetime.now(UTC)}).where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_null()
    )


async def end_session(redis, settings: Settings, family_id: uuid.UUID) -> None:
    """Refresh tokens revoked, and the family's access tokens refused from now until they would expire."""
    await revoke_family(family_id)
    await redis.set(revoked_session_key(family_id), b"1", ex=settings.access_token_ttl)
    await publish_sessions_ended(redis, settings.events_prefix, [family_id])


async def end_all_sessions(
    redis, settings: Settings, user_id: uuid.UUID, *, keep: uuid.UUID | None = None
) -> int:
    """Every session of the user (but `keep`) ended; returns how many."""
    # any family that issued a token within an access token's lifetime may still hold a valid access token
    recent = datetime.now(UTC) - timedelta(seconds=settings.access_token_ttl + 60)
    rows = await RefreshToken.select(RefreshToken.family_id).where(
        RefreshToken.user == user_id, (RefreshToken.revoked_at.is_null()) | (RefreshToken.created_at > recent)
    )
    families = {row["family_id"] for row in rows} - {keep}
    if not families:
        return 0
    await RefreshToken.update({RefreshToken.revoked_at: datetime.now(UTC)}).where(
        RefreshToken.family_id.is_in(list(families)), RefreshToken.revoked_at.is_null()
    )
    async with redis.pipeline(transaction=False) as pipe:
        for family in families:
            pipe.set(revoked_session_key(family), b"1", ex=settings.access_token_ttl)
        await pipe.execute()
    await publish_sessions_ended(redis, settings.events_prefix, list(families))
    return len(families)


async def change_password(
    redis, settings: Settings, user: User, current: str, new: str, session_id: uuid.UUID
) -> None:
    """Needs the current password; every other session ends (a thief's included), this one stays."""
    if not await verify_password_async(user.password_hash, current):
        raise Unauthorized("The current password is wrong.", code="invalid_credentials")
    await User.update({User.password_hash: await hash_password_async(new)}).where(User.id == user.id)
    await end_all_sessions(redis, settings, user.id, keep=session_id)


async def issue_password_reset(
    settings: Settings, user_id: uuid.UUID, admin_id: uuid.UUID
) -> PasswordResetIssued:
    """A one-time reset token an admin hands to the user (no e-mail needed); stored hashed."""
    if not await User.exists().where(User.id == user_id):
        raise NotFound("No such user.")
    token = new_refresh_token()
    expires_at = datetime.now(UTC) + timedelta(seconds=settings.password_reset_ttl)
    await PasswordReset(
        user=user_id, token_hash=token_digest(token), expires_at=expires_at, created_by=admin_id
    ).save()
    return PasswordResetIssued(token=token, reset_path=f"/#/reset?token={token}", expires_at=expires_at)


async def reset_password(redis, settings: Settings, token: str, new: str) -> None:
    """Spend a reset token (once, before it expires): new password, every session ended."""
    now = datetime.now(UTC)
    spent = (
        await PasswordReset.update({PasswordReset.used_at: now})
        .where(
            PasswordReset.token_hash == token_digest(token),
            PasswordReset.used_at.is_null(),
            PasswordReset.expires_at > now,
        )
        .returning(PasswordReset.user)
    )
    if not spent:
        raise Unauthorized("The reset link is invalid, used or expired.", code="invalid_token")
    user_id = spent[0]["user"]
    await User.update({User.password_hash: await hash_password_async(new)}).where(User.id == user_id)
    await end_all_sessions(redis, settings, user_id)


async def rotate_refresh_token(token: str, settings: Settings, redis) -> TokenPair:
    """Spend `token` for a new pair. Spending an already spent token revokes its whole family."""
    now = datetime.now(UTC)
    digest = token_digest(token)
    # the conditional update is the lock: of two concurrent refreshes, exactly one gets the row
    spent = (
        await RefreshToken.update({RefreshToken.used_at: now})
        .where(
            RefreshToken.token_hash == digest,
            RefreshToken.used_at.is_null(),
            RefreshToken.revoked_at.is_null(),
            RefreshToken.expires_at > now,
        )
        .returning(RefreshToken.user, RefreshToken.family_id)
    )
    if not spent:
        row = (
            await RefreshToken.select(RefreshToken.family_id, RefreshToken.used_at)
            .where(RefreshToken.token_hash == digest)
            .first()
        )
        if row is not None and row["used_at"] is not None:
            await end_session(redis, settings, row["family_id"])  # a thief's access tokens too
            raise Unauthorized(
                "This refresh token was already used; the session is revoked.", code="token_reused"
            )
        raise Unauthorized("The refresh token is invalid or expired.", code="invalid_token")
    user = await User.objects().where(User.id == spent[0]["user"]).first()
    if user is None or user.disabled:
        raise Unauthorized("The account is not active.", code="invalid_token")
    return await issue_tokens(user.id, settings, family_id=spent[0]["family_id"])


async def purge_expired_refresh_tokens(older_than: timedelta = timedelta(days=1)) -> int:
    cutoff = datetime.now(UTC) - older_than
    deleted = await RefreshToken.delete().where(RefreshToken.expires_at < cutoff).returning(RefreshToken.id)
    return len(deleted)
