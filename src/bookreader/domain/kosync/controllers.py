"""`/kosync`: the KOReader sync protocol (koreader-sync-server's routes, bodies and error codes).

The user enters `https://host/kosync` as the custom sync server, the account's email as user name and a
device password. Answers are `application/json` without a charset (some KOReader builds fail otherwise),
errors `{"code","message"}` with the reference server's codes.
"""

from __future__ import annotations

import msgspec
from arq.connections import ArqRedis
from litestar import Request, Response, Router, get, post, put
from litestar.di import Provide
from litestar.exceptions import HTTPException
from redis.asyncio import Redis

from bookreader.core.errors import DomainError, handle_exception
from bookreader.core.ratelimit import client_ip, hit
from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.devices.registration import RegistrationRefused, register_device
from bookreader.domain.devices.service import kosync_user
from bookreader.domain.kosync import service
from bookreader.domain.kosync.schemas import (
    INVALID_FIELDS,
    REGISTRATION_DISABLED,
    UNAUTHORIZED,
    USER_EXISTS,
    KosyncError,
    ProgressPush,
    RegisterRequest,
)
from bookreader.settings import Settings

JSON = "application/json"
_MAX_BODY = 64 * 1024


def _json(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    response = Response(content=msgspec.json.encode(payload), status_code=status, headers=headers)
    response.headers["Content-Type"] = JSON  # exactly: no "; charset=utf-8"
    return response


def _error(code: int, message: str, status: int, headers: dict[str, str] | None = None) -> Response[bytes]:
    return _json({"code": code, "message": message}, status, headers)


def kosync_exception_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, KosyncError):
        return _error(exc.code, exc.message, exc.status)
    if isinstance(exc, DomainError) and exc.status in (401, 429):  # throttled, or a device awaiting approval
        return _error(UNAUTHORIZED, exc.message, exc.status, exc.headers if exc.status == 429 else None)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return _error(INVALID_FIELDS, str(exc.detail), exc.status_code)
    return handle_exception(request, exc)


async def _body(request: Request, kind: type) -> object:
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise KosyncError(INVALID_FIELDS, status=413)
    try:
        return msgspec.json.decode(raw or b"{}", type=kind)
    except msgspec.DecodeError:
        raise KosyncError(INVALID_FIELDS) from None


async def _user(request: Request, settings: Settings, redis: Redis) -> User:
    """The `user` dependency of the sync routes: KOReader's headers, not a Bearer token."""
    user = await kosync_user(request, settings, redis)
    if user is None:
        raise KosyncError(UNAUTHORIZED)
    return user


@post("/users/create", operation_id="kosyncRegister", status_code=201)
async def register(request: Request, settings: Settings, redis: Redis) -> Response[bytes]:
    """Off unless `BOOKREADER_KOSYNC_REGISTRATION`. KOReader's "Register" makes a device password for an
    existing account (never an account), which signs in once the owner approves it in the web UI
    (`devices/registration.py` says why). Limited per client address like the sign-in routes."""
    if not settings.kosync_registration:
        raise KosyncError(REGISTRATION_DISABLED)
    address = client_ip(
        request.scope, settings.rate_limit_trust_forwarded, frozenset(settings.trusted_proxies)
    )
    if settings.rate_limit_auth:
        wait = await hit(
            redis, f"kosync-register:{address}", settings.rate_limit_auth, settings.rate_limit_window
        )
        if wait:
            raise KosyncError(UNAUTHORIZED, "Too many registrations; try again later.", status=429)
    body = await _body(request, RegisterRequest)
    assert isinstance(body, RegisterRequest)
    if not isinstance(body.username, str) or not isinstance(body.password, str):
        raise KosyncError(INVALID_FIELDS)
    try:
        registered = await register_device(body.username, body.password, address, settings)
    except RegistrationRefused as refused:
        if refused.reason == "invalid":
            raise KosyncError(INVALID_FIELDS, refused.message) from None
        raise KosyncError(USER_EXISTS, refused.message) from None
    return _json({"username": registered.email}, 201)


@get("/users/auth", operation_id="kosyncAuthorize")
async def authorize(user: User) -> Response[bytes]:
    return _json({"authorized": "OK"})


@put("/syncs/progress", operation_id="kosyncPushProgress")
async def push_progress(
    request: Request, user: User, settings: Settings, storage: Storage, queue: ArqRedis
) -> Response[bytes]:
    body = await _body(request, ProgressPush)
    assert isinstance(body, ProgressPush)
    document, timestamp = await service.push(user, body, settings=settings, storage=storage, queue=queue)
    return _json({"document": document, "timestamp": timestamp})


@get("/syncs/progress/{document:str}", operation_id="kosyncPullProgress")
async def pull_progress(user: User, document: str, storage: Storage) -> Response[bytes]:
    state = await service.pull(user, document, storage=storage)
    return _json(state)


@get("/healthcheck", operation_id="kosyncHealth")
async def healthcheck() -> Response[bytes]:
    return _json({"state": "OK"})


kosync_router = Router(
    path="/kosync",
    route_handlers=[register, authorize, push_progress, pull_progress, healthcheck],
    exception_handlers={Exception: kosync_exception_handler},
    dependencies={"user": Provide(_user)},  # KOReader's headers here, not the app's Bearer `user`
    tags=["kosync"],
)
