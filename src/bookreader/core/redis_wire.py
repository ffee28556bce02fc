"""One pipelined Redis connection for the per-request script (rate limit + revocation check, issue 17).

redis-py spends ~100 µs of Python per command (connection pool lock, retry wrapper, stream writer, parser
wrappers, a timer per `asyncio.timeout`) — a fifth of a chapter read. This client writes each call as one
RESP frame on a single connection as soon as it is made and matches replies in order (Redis answers a
connection's commands FIFO), parsed by hiredis: no lock, no per-call task or timer. Deadlines are checked
by one periodic sweep of the oldest waiting calls; a timed-out or cancelled call keeps its place in the
queue, so later replies still meet their callers.

Any failure (refused, lost, timed out) raises `ConnectionError` / `TimeoutError` to the caller, which
decides what it means (the rate limiter fails open; the revocation check then fails closed elsewhere).
The next call connects again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import hiredis
from arq.connections import RedisSettings

SWEEP_EVERY = 0.05  # seconds between deadline checks


def encode_command(*parts: bytes | str | int) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        raw = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


class _Protocol(asyncio.Protocol):
    def __init__(self, wire: RedisWire) -> None:
        self.wire = wire
        self.reader = hiredis.Reader()

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        waiting = self.wire.waiting
        while (reply := self.reader.gets()) is not False:
            if not waiting:  # a reply nobody asked for: the stream is out of step, start over
                self.wire.drop("unexpected reply")
                return
            future, _ = waiting.popleft()
            if not future.done():
                if isinstance(reply, hiredis.ReplyError):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.wire.drop("connection lost", transport_gone=True)


class RedisWire:
    """`await wire.evalsha(script, keys, args)`: the script's reply (EVAL when Redis lost the script)."""

    def __init__(self, settings: RedisSettings, timeout: float) -> None:
        self.settings, self.timeout = settings, timeout
        self.waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self._transport: asyncio.BaseTransport | None = None
        self._lock: asyncio.Lock | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self._closed = False

    @classmethod
    def from_url(cls, url: str, timeout: float) -> RedisWire | None:
        """None for what this client does not speak (TLS, Sentinel): the caller keeps using redis-py there."""
        settings = RedisSettings.from_dsn(url)
        plain = not settings.ssl and not settings.sentinel and isinstance(settings.host, str)
        return cls(settings, timeout) if plain else None

    async def evalsha(self, script: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        sha = hashlib.sha1(script.encode()).hexdigest()
        try:
            return await self.call("EVALSHA", sha, len(keys), *keys, *args)
        except hiredis.ReplyError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            return await self.call("EVAL", script, len(keys), *keys, *args)  # Redis restarted or flushed

    async def call(self, *parts: bytes | str | int) -> Any:
        if self._transport is None:
            await self._connect()
        transport = self._transport
        if transport is None:
            raise ConnectionError("Redis connection closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.append((future, time.monotonic() + self.timeout))
        transport.write(encode_command(*parts))  # type: ignore[attr-defined]
        return await future

    async def _connect(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # the first caller connects; the others find the connection made
            if self._transport is not None:
                return
            if self._closed:
                raise ConnectionError("Redis connection closed")
            try:
                await asyncio.wait_for(self._open(asyncio.get_running_loop()), self.timeout)
            except (OSError, TimeoutError, hiredis.ReplyError) as exc:
                self.drop("unreachable")
                raise ConnectionError(f"Redis unreachable: {exc!r}") from exc

    async def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        s = self.settings
        if s.unix_socket_path:
            transport, _ = await loop.create_unix_connection(lambda: _Protocol(self), s.unix_socket_path)
        else:
            transport, _ = await loop.create_connection(lambda: _Protocol(self), str(s.host), s.port)
        self._transport = transport  # (uvloop's transports are not asyncio.Transport subclasses)
        if s.password:
            await self.call(*(("AUTH", s.username, s.password) if s.username else ("AUTH", s.password)))
        if s.database:
            await self.call("SELECT", s.database)
        if self._sweeper is None:
            self._sweeper = loop.call_later(SWEEP_EVERY, self._sweep)

    def _sweep(self) -> None:
        """Fail the calls whose deadline passed (the oldest first: they are in sending order). A connection
        that leaves a call unanswered that long is not trusted again."""
        self._sweeper = None
        if self.waiting and self.waiting[0][1] <= time.monotonic():
            self.drop("timed out", error=TimeoutError("Redis did not answer in time"))
        if not self._closed and (self.waiting or self._transport is not None):
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP_EVERY, self._sweep)

    def drop(self, reason: str, *, transport_gone: bool = False, error: Exception | None = None) -> None:
        """Close the connection and fail every waiting call; the next call connects again."""
        transport, self._transport = self._transport, None
        if transport is not None and not transport_gone:
            transport.abort()  # type: ignore[attr-defined]
        waiting, self.waiting = self.waiting, deque()
        for future, _ in waiting:
            if not future.done():
                future.set_exception(error or ConnectionError(f"Redis {reason}"))

    async def close(self) -> None:
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        self.drop("closed")
        with contextlib.suppress(Exception):
            await asyncio.sleep(0)
