"""The rate limiter's pipelined Redis connection (core/redis_wire.py), against real Redis servers: replies
meet their callers in order, a flushed script is sent again, a lost or silent server fails the waiting calls
and the next call connects again — and the script's answers are redis-py's."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
from redis.asyncio import Redis

from bookreader.core.embedded import EmbeddedRedis
from bookreader.core.ratelimit import hit_and_check_revoked
from bookreader.core.redis_wire import RedisWire, encode_command

ECHO = "return {KEYS[1], ARGV[1]}"


def test_commands_are_resp_arrays() -> None:
    assert encode_command("GET", "k", 5) == b"*3\r\n$3\r\nGET\r\n$1\r\nk\r\n$1\r\n5\r\n"


async def test_concurrent_calls_get_their_own_replies(infra) -> None:
    wire = RedisWire.from_url(infra.redis_url, timeout=2)
    assert wire is not None
    try:
        replies = await asyncio.gather(*(wire.evalsha(ECHO, [f"key-{n}"], [n]) for n in range(300)))
        assert replies == [[f"key-{n}".encode(), str(n).encode()] for n in range(300)]
    finally:
        await wire.close()


async def test_a_flushed_script_is_sent_again(infra) -> None:
    redis, wire = Redis.from_url(infra.redis_url), RedisWire.from_url(infra.redis_url, timeout=2)
    assert wire is not None
    script = f"return '{uuid.uuid4().hex}'"  # never loaded before: NOSCRIPT on the first EVALSHA
    try:
        first = await wire.evalsha(script, [], [])
        await redis.script_flush()
        assert await wire.evalsha(script, [], []) == first
    finally:
        await wire.close()
        await redis.aclose()


async def test_the_script_counts_like_redis_py(infra) -> None:
    redis, wire = Redis.from_url(infra.redis_url), RedisWire.from_url(infra.redis_url, timeout=2)
    assert wire is not None
    session, key = uuid.uuid4(), f"wire-{uuid.uuid4().hex}"
    try:
        for _ in range(3):
            assert await hit_and_check_revoked(wire, key, 6, 60, session) == (0, False)
            assert await hit_and_check_revoked(redis, key, 6, 60, session) == (0, False)
        retry_after, revoked = await hit_and_check_revoked(wire, key, 6, 60, session)  # the 7th of 6
        assert retry_after > 0 and revoked is False
        await redis.set(f"bookreader:revoked-session:{session}", b"1", ex=60)
        assert (await hit_and_check_revoked(wire, key, 6, 60, session))[1] is True
    finally:
        await wire.close()
        await redis.aclose()


async def test_a_lost_server_fails_the_calls_and_a_new_one_is_found(tmp_path) -> None:
    server = EmbeddedRedis(tmp_path / "redis", persistent=False)
    url = server.start()
    wire = RedisWire.from_url(url, timeout=1)
    assert wire is not None
    try:
        assert await wire.call("PING") == b"PONG"
        port = server.port
        server.stop()
        with pytest.raises((ConnectionError, TimeoutError)):
            await wire.call("PING")
        server = EmbeddedRedis(tmp_path / "redis", persistent=False, port=port)
        server.start()
        assert await wire.call("PING") == b"PONG"
    finally:
        await wire.close()
        server.stop()


async def test_a_silent_server_times_out_and_later_replies_do_not_go_astray() -> None:
    """A server that accepts and never answers: the waiting calls fail after the deadline (one sweep), and
    the connection is not reused — a late reply could otherwise reach the wrong caller."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    wire = RedisWire.from_url(f"redis://127.0.0.1:{port}/0", timeout=0.2)
    assert wire is not None
    try:
        calls = [asyncio.ensure_future(wire.call("PING")) for _ in range(3)]
        results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 2)
        assert all(isinstance(r, TimeoutError) for r in results), results
        assert not wire.waiting
    finally:
        await wire.close()
        listener.close()
