"""WebSocket `/api/v1/ws`: relays the user's own events from Redis pub/sub (so it works across replicas)."""

from __future__ import annotations

import logging

import anyio
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from bookreader.core.auth import authenticate
from bookreader.core.errors import Unauthorized
from bookreader.core.events import user_channel

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008


@websocket("/api/v1/ws", operation_id="events")
async def events_socket(socket: WebSocket) -> None:
    try:
        user = await authenticate(socket)
    except Unauthorized as exc:
        await socket.close(code=POLICY_VIOLATION, reason=exc.message[:120])
        return
    state = socket.app.state
    pubsub = state.redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(user_channel(state.settings.events_prefix, user.id))
    await socket.accept()
    await socket.send_json({"type": "hello", "user_id": str(user.id)})
    try:
        async with anyio.create_task_group() as tg:

            async def relay() -> None:
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await socket.send_text(message["data"].decode())

            async def watch_client() -> None:
                # the client may send pings; a disconnect ends the relay too
                try:
                    while True:
                        text = await socket.receive_text()
                        if text == "ping":
                            await socket.send_json({"type": "pong"})
                except WebSocketDisconnect:
                    pass
                tg.cancel_scope.cancel()

            tg.start_soon(relay)
            tg.start_soon(watch_client)
    except Exception as exc:
        log.info("websocket closed: %s", exc)
        try:
            await socket.close(code=1011)
        except Exception:
            pass
    finally:
        try:
            await pubsub.aclose()
        except Exception:
            pass
