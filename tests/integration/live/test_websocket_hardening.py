"""WebSockets do not outlive their session and do not cost a Redis connection each (security review, #5)."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
import websockets
import websockets.exceptions
from redis.asyncio import Redis
from tests.harness import serving
from tests.support import Reader, sign_up

from bookreader.core.embedded import EmbeddedRedis


def ws_url(base_url: str, token: str | None = None) -> str:
    url = base_url.replace("http://", "ws://") + "/api/v1/ws"
    return f"{url}?token={token}" if token else url


async def open_socket(base_url: str, reader: Reader, **kw):
    socket = await websockets.connect(ws_url(base_url, reader.tokens["access_token"]), **kw)
    assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "hello"
    return socket


async def closed_with(socket, timeout: float = 8) -> websockets.exceptions.ConnectionClosed:
    """Wait until the server closes `socket`; fail if it keeps it open (answering pings) that long."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        while loop.time() < deadline:
            await socket.send("ping")
            await asyncio.wait_for(socket.recv(), max(0.1, deadline - loop.time()))
            await asyncio.sleep(0.2)
        raise AssertionError("the socket is still open")  # not a ConnectionClosed: pytest.raises fails
    return closed.value


async def login_again(http: httpx.AsyncClient, reader: Reader) -> Reader:
    answer = await http.post("/api/v1/auth/login", json={"email": reader.email, "password": reader.password})
    assert answer.status_code == 200, answer.text
    return Reader(http, reader.email, reader.password, answer.json())


async def redis_clients(url: str) -> int:
    redis = Redis.from_url(url)
    try:
        return len(await redis.client_list())
    finally:
        await redis.aclose()


async def test_sockets_share_one_subscription(base_url: str, client: httpx.AsyncClient, migrated) -> None:
    readers = [await sign_up(client) for _ in range(4)]
    first = await open_socket(base_url, readers[0])  # the process's subscription exists from here on
    before = await redis_clients(migrated["REDIS_URL"])
    sockets = [await open_socket(base_url, reader) for reader in readers for _ in range(3)]
    try:
        after = await redis_clients(migrated["REDIS_URL"])
        assert after - before <= 2, (before, after)  # was one Redis connection per socket
    finally:
        for socket in [first, *sockets]:
            await socket.close()


async def test_sockets_per_user_are_capped(base_url: str, reader: Reader, other_reader: Reader) -> None:
    sockets = [await open_socket(base_url, reader) for _ in range(8)]  # the default cap
    try:
        with pytest.raises(websockets.exceptions.InvalidStatus):
            await open_socket(base_url, reader)
        await (await open_socket(base_url, other_reader)).close()  # another user is not affected
    finally:
        for socket in sockets:
            await socket.close()
    again = await open_socket(base_url, reader)  # closed ones free their place
    await again.close()


async def test_logout_closes_the_sessions_socket(base_url: str, client: httpx.AsyncClient, reader) -> None:
    other_session = await login_again(client, reader)
    mine, theirs = await open_socket(base_url, reader), await open_socket(base_url, other_session)
    assert (await reader.post("/api/v1/auth/logout")).status_code == 204
    closed = await closed_with(mine)
    assert closed.rcvd is not None and closed.rcvd.code == 1008 and "session" in closed.rcvd.reason
    await theirs.send("ping")  # the other session's socket stays
    assert json.loads(await asyncio.wait_for(theirs.recv(), 5)) == {"type": "pong"}
    await theirs.close()


async def test_sign_out_everywhere_and_password_change_close_sockets(
    base_url: str, client: httpx.AsyncClient, reader: Reader
) -> None:
    laptop, phone = await login_again(client, reader), await login_again(client, reader)
    on_laptop, on_phone = await open_socket(base_url, laptop), await open_socket(base_url, phone)
    change = await reader.post(
        "/api/v1/auth/password", json={"current_password": reader.password, "new_password": "a new horse 2"}
    )
    assert change.status_code == 204, change.text
    await closed_with(on_laptop)
    await closed_with(on_phone)
    here = await open_socket(base_url, reader)  # the session that changed the password stays
    assert (await reader.post("/api/v1/auth/logout-all")).status_code == 204
    await closed_with(here)


async def test_cookie_sockets_need_our_origin(base_url: str, reader: Reader) -> None:
    cookie = {"Cookie": f"bookreader_access={reader.tokens['access_token']}"}
    with pytest.raises(websockets.exceptions.InvalidStatus):
        await websockets.connect(
            ws_url(base_url), additional_headers={**cookie, "Origin": "https://evil.example"}
        )
    ours = await websockets.connect(ws_url(base_url), additional_headers={**cookie, "Origin": base_url})
    assert json.loads(await asyncio.wait_for(ours.recv(), 5))["type"] == "hello"
    await ours.close()
    # a token in the URL is no ambient credential: any origin may use it
    token_socket = await open_socket(base_url, reader, additional_headers={"Origin": "https://other.example"})
    await token_socket.close()


@pytest.fixture
async def short_tokens(migrated, tmp_path):
    """An API whose access tokens live 3 s, with its own Redis (to stop it)."""
    redis = EmbeddedRedis(tmp_path / "redis", persistent=False)
    env = {
        **migrated,
        "REDIS_URL": redis.start(),
        "BOOKREADER_EMBEDDED_WORKER": "0",
        "BOOKREADER_ACCESS_TOKEN_TTL": "3",
    }
    try:
        with serving(env, tmp_path / "api.log", command="api") as service:
            yield service, redis
    finally:
        with contextlib.suppress(Exception):
            redis.stop()


async def test_socket_ends_with_its_token_and_with_redis(short_tokens) -> None:
    service, redis = short_tokens
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
        reader = await sign_up(http)
        socket = await open_socket(service.base_url, reader)
        closed = await closed_with(socket, timeout=8)  # was: open for as long as the client liked
        assert closed.rcvd is not None and closed.rcvd.reason == "session expired"

        fresh = await login_again(http, reader)
        socket = await open_socket(service.base_url, fresh)
        redis.stop()  # fail closed: without Redis a revocation could be missed
        closed = await closed_with(socket, timeout=2.5)
        assert closed.rcvd is not None and closed.rcvd.code == 1013
        with pytest.raises(websockets.exceptions.InvalidStatus):
            await open_socket(service.base_url, fresh)
