"""Accounts: registration, login, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from asyncpg.exceptions import UniqueViolationError

from bookreader.core.errors import Conflict, Unauthorized
from bookreader.core.security import (
    encode_access_token,
    hash_password,
    new_refresh_token,
    token_digest,
    verify_password,
)
from bookreader.domain.accounts.schemas import TokenPair
from bookreader.domain.accounts.tables import RefreshToken, User
from bookreader.settings import Settings


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def register(email: str, password: str, display_name: str | None, *, role: str = "user") -> User:
    email = normalize_email(email)
    user = User(
        email=email,
        password_hash=hash_password(password),
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
    if not verify_password(user.password_hash if user else None, password) or user is None:
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


async def rotate_refresh_token(token: str, settings: Settings) -> TokenPair:
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
            await revoke_family(row["family_id"])
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
