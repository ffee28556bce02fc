from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]


class UserCreate(msgspec.Struct):
    email: Email
    password: Password
    display_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class LoginRequest(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=256)]


class RefreshRequest(msgspec.Struct):
    refresh_token: Annotated[str, msgspec.Meta(max_length=512)]


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


class Usage(msgspec.Struct):
    books: int
    books_limit: int | None
    images_this_month: int = 0
    images_per_month_limit: int | None = None


class UserRead(msgspec.Struct):
    id: uuid.UUID
    email: str
    display_name: str
    role: Literal["user", "admin"]
    plan: str
    created_at: datetime
    usage: Usage | None = None


class PasswordChange(msgspec.Struct):
    current_password: Annotated[str, msgspec.Meta(max_length=256)]
    new_password: Password


class PasswordResetRequest(msgspec.Struct):
    token: Annotated[str, msgspec.Meta(max_length=512)]
    new_password: Password


class PasswordResetIssued(msgspec.Struct):
    token: str  # shown once: the admin hands it (or the path) to the user
    reset_path: str  # the web UI's reset page with the token, relative to the server's address
    expires_at: datetime
