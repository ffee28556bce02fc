from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from redis.asyncio import Redis

from bookreader.core.auth import ACCESS_COOKIE
from bookreader.domain.accounts import service
from bookreader.domain.accounts.schemas import (
    LoginRequest,
    PasswordChange,
    PasswordResetRequest,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserRead,
)
from bookreader.domain.accounts.tables import User
from bookreader.domain.accounts.usage import usage_for
from bookreader.settings import Settings


def user_read(user: User, usage=None) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        plan=user.plan,
        created_at=user.created_at,
        usage=usage,
    )


def _with_cookie(settings: Settings, pair: TokenPair, status: int) -> Response[TokenPair]:
    cookie = Cookie(
        key=ACCESS_COOKIE,
        value=pair.access_token,
        max_age=settings.access_token_ttl,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return Response(pair, status_code=status, cookies=[cookie])


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post("/register", operation_id="register", status_code=HTTP_201_CREATED)
    async def register(self, data: UserCreate) -> UserRead:
        user = await service.register(data.email, data.password, data.display_name)
        return user_read(user)

    @post("/login", operation_id="login", status_code=HTTP_200_OK)
    async def login(self, data: LoginRequest, settings: Settings) -> Response[TokenPair]:
        user = await service.authenticate_password(data.email, data.password)
        pair = await service.issue_tokens(user.id, settings)
        return _with_cookie(settings, pair, HTTP_200_OK)

    @post("/refresh", operation_id="refreshToken", status_code=HTTP_200_OK)
    async def refresh(self, data: RefreshRequest, settings: Settings, redis: Redis) -> Response[TokenPair]:
        pair = await service.rotate_refresh_token(data.refresh_token, settings, redis)
        return _with_cookie(settings, pair, HTTP_200_OK)

    @post(
        "/logout",
        operation_id="logout",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def logout(self, request: Request, user: User, settings: Settings, redis: Redis) -> Response[None]:
        await service.end_session(redis, settings, request.scope["state"]["session_id"])
        return _signed_out()

    @post(
        "/logout-all",
        operation_id="logoutEverywhere",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def logout_all(self, user: User, settings: Settings, redis: Redis) -> Response[None]:
        """Sign out everywhere: every session of this account ends, this one included."""
        await service.end_all_sessions(redis, settings, user.id)
        return _signed_out()

    @post(
        "/password",
        operation_id="changePassword",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def change_password(
        self, request: Request, user: User, data: PasswordChange, settings: Settings, redis: Redis
    ) -> None:
        """New password (the current one required); every other session ends, this one stays."""
        session_id = request.scope["state"]["session_id"]
        await service.change_password(
            redis, settings, user, data.current_password, data.new_password, session_id
        )

    @post("/password-reset", operation_id="resetPassword", status_code=HTTP_204_NO_CONTENT)
    async def reset_password(self, data: PasswordResetRequest, settings: Settings, redis: Redis) -> None:
        """Spend an admin-issued reset token: the new password is set and every session ends."""
        await service.reset_password(redis, settings, data.token, data.new_password)


def _signed_out() -> Response[None]:
    return Response(
        None,
        status_code=HTTP_204_NO_CONTENT,
        cookies=[Cookie(key=ACCESS_COOKIE, value="", max_age=0, path="/", httponly=True)],
    )


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["accounts"]

    @get("/me", operation_id="getMe")
    async def me(self, user: User, settings: Settings) -> UserRead:
        return user_read(user, await usage_for(user, settings))
