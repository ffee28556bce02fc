from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import websockets
import websockets.exceptions
from tests.support import Reader


def ws_url(base_url: str, token: str) -> str:
    return base_url.replace("http://", "ws://") + f"/api/v1/ws?token={token}"


async def collect_until_ready(socket, book_id: str, timeout: float = 90) -> list[dict]:
    events: list[dict] = []
    async with asyncio.timeout(timeout):
        while True:
            event = json.loads(await socket.recv())
            if event.get("type") != "book.status":
                continue
            assert event["book_id"] == book_id
            events.append(event)
            if event["status"] in ("ready", "failed"):
                return events


async def test_websocket_sees_book_status_up_to_ready(
    base_url: str, reader: Reader, other_reader: Reader, generated_books: dict[str, Path]
) -> None:
    async with (
        websockets.connect(ws_url(base_url, reader.tokens["access_token"])) as mine,
        websockets.connect(ws_url(base_url, other_reader.tokens["access_token"])) as theirs,
    ):
        assert json.loads(await mine.recv())["type"] == "hello"
        assert json.loads(await theirs.recv())["type"] == "hello"
        created = await reader.upload(generated_books["novel"])
        book_id = created.json()["id"]
        events = await collect_until_ready(mine, book_id)
        statuses = [e["status"] for e in events]
        assert statuses[-1] == "ready"
        assert "parsing" in statuses and "analyzing" in statuses
        assert statuses.index("parsing") < statuses.index("analyzing")
        assert all(0.0 <= e["progress"] <= 1.0 for e in events)
        assert all({"type", "book_id", "status", "stage", "progress"} <= set(e) for e in events)

        # the other user's socket saw nothing of it
        await theirs.send("ping")
        answer = json.loads(await asyncio.wait_for(theirs.recv(), 5))
        assert answer == {"type": "pong"}


async def test_websocket_refuses_a_bad_token(base_url: str) -> None:
    with pytest.raises(websockets.exceptions.WebSocketException):
        async with websockets.connect(ws_url(base_url, "nonsense")) as socket:
            await asyncio.wait_for(socket.recv(), 5)
