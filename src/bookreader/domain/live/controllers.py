"""WebSocket `/api/v1/ws`: the user's own events, from this process's one Redis subscription (see hub.py).

A socket lives no longer than its session: it closes when the access token expires, when the session ends
(logout, sign-out everywhere, password change, refresh-token reuse, account disabled) and when Redis cannot
be read. A user has at most `ws_max_per_user` sockets per process. With the UI cookie (ambient credentials)
the Origin must be this site or a configured CORS origin, so another site cannot open a socket as the user.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from urllib.parse import urlsplit

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from redis.asyncio import Redis

from bookreader.core import db
from bookreader.core.auth import revoked_session_key
from bookreader.core.errors import DomainError
from bookreader.domain.accounts.deps import current_user
from bookreader.domain.live.hub import Hub, HubUnavailable, Subscriber, TooManySockets
from bookreader.settings import Settings

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
UNAVAILABLE = {"live events unavailable", "session cannot be checked", "server shutting down"}
ACTIVE_SQL = "SELECT NOT disabled FROM users WHERE id = $1"
REVALIDATE_EVERY = 30.0  # seconds between re-checks of revocation and account state (a missed publish)


def hub_of(socket: WebSocket, settings: Settings, redis: Redis) -> Hub:
    """The process's one hub, made on first use and kept with the app (app.py's lifespan stops it)."""
    state = socket.app.state
    hub = state.get("live_hub")
    if hub is None:
        hub = state.live_hub = Hub(redis, settings.events_prefix, settings.ws_max_per_user)
    return hub


def _cookie_only(socket: WebSocket) -> bool:
    return not socket.query_params.get("token") and not socket.headers.get("authorization")


def origin_allowed(socket: WebSocket, settings: Settings) -> bool:
    origin = socket.headers.get("origin")
    if origin is None:
        return True  # not a browser: no ambient credential can be abused
    if origin in settings.cors_origins:
        return True
    return urlsplit(origin).netloc.lower() == socket.headers.get("host", "").lower()


async def _still_valid(redis: Redis, subscriber: Subscriber) -> bool:
    if await redis.exists(revoked_session_key(subscriber.session_id)):
        return False
    return bool(await db.fetchval(ACTIVE_SQL, subscriber.user_id))


async def _guard(redis: Redis, subscriber: Subscriber, expires_at: float) -> None:
    """Close the subscriber when its token expires or its session is found ended."""
    while not subscriber.closed.is_set():
        left = expires_at - time.time()
        if left <= 0:
            subscriber.close("session expired")
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(subscriber.closed.wait(), min(left, REVALIDATE_EVERY))
            return
        try:
            if not await _still_valid(redis, subscriber):
                subscriber.close("session ended")
        except Exception:  # fail closed
            subscriber.close("session cannot be checked")


async def _relay(socket: WebSocket, subscriber: Subscriber) -> None:
    while True:
        await socket.send_text(await subscriber.queue.get())


async def _watch_client(socket: WebSocket, subscriber: Subscriber) -> None:
    try:
        while True:
            if await socket.receive_text() == "ping":
                await socket.send_json({"type": "pong"})
    except WebSocketDisconnect:
        subscriber.close("client left")


async def _refuse(socket: WebSocket, code: int, reason: str) -> None:
    await socket.close(code=code, reason=reason[:120])


@websocket("/api/v1/ws", operation_id="events")
async def events_socket(socket: WebSocket, settings: Settings, redis: Redis) -> None:
    if _cookie_only(socket) and not origin_allowed(socket, settings):
        await _refuse(socket, POLICY_VIOLATION, "origin not allowed")
        return
    try:
        user = await current_user(socket)
    except DomainError as exc:
        await _refuse(socket, POLICY_VIOLATION if exc.status == 401 else TRY_AGAIN_LATER, exc.message)
        return
    hub = hub_of(socket, settings, redis)
    state = socket.scope["state"]
    try:
        subscriber = await hub.register(user.id, state["session_id"])
    except TooManySockets:
        await _refuse(socket, POLICY_VIOLATION, "too many open sockets for this account")
        return
    except HubUnavailable:
        await _refuse(socket, TRY_AGAIN_LATER, "live events unavailable")
        return
    try:
        await socket.accept()
        await socket.send_json({"type": "hello", "user_id": str(user.id)})
        tasks = [
            asyncio.create_task(_relay(socket, subscriber)),
            asyncio.create_task(_watch_client(socket, subscriber)),
            asyncio.create_task(_guard(redis, subscriber, float(state["token_exp"]))),
        ]
        for task in tasks:  # any of them ending (a failed send, a disconnect) ends the socket
            task.add_done_callback(lambda _: subscriber.close("client left"))
        try:
            await subscriber.closed.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if subscriber.reason != "client left":
            code = TRY_AGAIN_LATER if subscriber.reason in UNAVAILABLE else POLICY_VIOLATION
            with contextlib.suppress(Exception):
                await socket.close(code=code, reason=subscriber.reason)
    except Exception as exc:
        log.info("websocket closed: %s", exc)
        with contextlib.suppress(Exception):
            await socket.close(code=1011)
    finally:
        hub.unregister(subscriber)
