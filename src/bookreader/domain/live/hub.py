"""One Redis pub/sub subscription per process, fanned out in memory to this process's WebSockets.

The hub pattern-subscribes to every user's event channel and to the session-control channel (sessions that
ended: logout, sign-out everywhere, password change, refresh-token reuse). Each socket registers a bounded
queue; an event for a user goes to that user's queues, a session that ended closes its sockets. When Redis
fails the hub closes every socket (fail closed: a revocation could be missed) and reconnects; sockets are
only accepted while the subscription is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field

import msgspec

from bookreader.core.events import SESSION_ENDED_SUFFIX, user_channel

log = logging.getLogger(__name__)

QUEUE_SIZE = 256  # events a slow socket may lag behind before it is closed
RECONNECT_DELAY = 0.5


class TooManySockets(Exception):
    pass


class HubUnavailable(Exception):
    pass


@dataclass(eq=False)
class Subscriber:
    user_id: str
    session_id: str
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""

    def close(self, reason: str) -> None:
        if not self.closed.is_set():
            self.reason = reason
            self.closed.set()


class Hub:
    def __init__(self, redis, prefix: str, max_per_user: int) -> None:
        self.redis, self.prefix, self.max_per_user = redis, prefix, max_per_user
        self.by_user: dict[str, set[Subscriber]] = {}
        self.connected = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._user_prefix = user_channel(prefix, "")
        self._control = prefix + SESSION_ENDED_SUFFIX

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="live-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._close_all("server shutting down")

    async def register(self, user_id: uuid.UUID, session_id: uuid.UUID, wait: float = 3.0) -> Subscriber:
        self.start()
        try:
            await asyncio.wait_for(self.connected.wait(), wait)
        except TimeoutError:
            raise HubUnavailable from None
        sockets = self.by_user.setdefault(str(user_id), set())
        if len(sockets) >= self.max_per_user:
            raise TooManySockets
        subscriber = Subscriber(str(user_id), str(session_id))
        sockets.add(subscriber)
        return subscriber

    def unregister(self, subscriber: Subscriber) -> None:
        sockets = self.by_user.get(subscriber.user_id)
        if sockets is not None:
            sockets.discard(subscriber)
            if not sockets:
                del self.by_user[subscriber.user_id]

    def socket_count(self) -> int:
        return sum(len(sockets) for sockets in self.by_user.values())

    async def _run(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self._user_prefix + "*")
                await pubsub.subscribe(self._control)
                self.connected.set()
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is not None:
                        self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # fail closed: sockets end, clients reconnect once Redis is back
                log.warning("live events subscription lost: %s", type(exc).__name__)
                self.connected.clear()
                self._close_all("live events unavailable")
                await asyncio.sleep(RECONNECT_DELAY)
            finally:
                self.connected.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _dispatch(self, message: dict) -> None:
        channel = message.get("channel") or b""
        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
        data = message.get("data")
        if channel == self._control:
            self._end_sessions(data)
            return
        if not channel.startswith(self._user_prefix):
            return
        text = data.decode() if isinstance(data, bytes) else str(data)
        for subscriber in list(self.by_user.get(channel[len(self._user_prefix) :], ())):
            try:
                subscriber.queue.put_nowait(text)
            except asyncio.QueueFull:
                subscriber.close("too slow")

    def _end_sessions(self, data) -> None:
        try:
            sessions = set(msgspec.json.decode(data, type=list[str]))
        except (msgspec.DecodeError, TypeError):
            return
        for sockets in list(self.by_user.values()):
            for subscriber in list(sockets):
                if subscriber.session_id in sessions:
                    subscriber.close("session ended")

    def _close_all(self, reason: str) -> None:
        for sockets in list(self.by_user.values()):
            for subscriber in list(sockets):
                subscriber.close(reason)
