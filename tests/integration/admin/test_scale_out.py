"""The compose/k8s topology on one machine: two `api` processes and two standalone `worker` processes on one
Postgres and Redis. A book uploaded through one API is processed by a worker, its live events reach a
WebSocket held by the other API, and the admin figures (from Redis/Postgres) agree on both replicas."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from tests.harness import LiveService
from tests.support import Reader, sign_up

from bookreader.core.embedded import free_port


@pytest.mark.slow
async def test_two_apis_two_workers(own_env, shared_books, tmp_path) -> None:
    env = own_env  # one database, Redis queue and data folder (the shared volume) for all four processes
    processes = [
        LiveService(env, command="api", log_path=tmp_path / "api-1.log"),
        LiveService(env, command="api", log_path=tmp_path / "api-2.log"),
        LiveService({**env, "BOOKREADER_WORKER_METRICS_PORT": str(free_port())}, command="worker",
                    log_path=tmp_path / "worker-1.log"),
        LiveService(env, command="worker", log_path=tmp_path / "worker-2.log"),
    ]  # fmt: skip
    try:
        for process in processes:
            process.start()
        api_1, api_2 = processes[0].base_url, processes[1].base_url
        async with httpx.AsyncClient(base_url=api_1, timeout=30) as http_1:
            reader = await sign_up(http_1)
            socket_url = (
                api_2.replace("http://", "ws://") + f"/api/v1/ws?token={reader.tokens['access_token']}"
            )
            async with websockets.connect(socket_url) as socket:
                assert json.loads(await socket.recv())["type"] == "hello"
                uploaded = await reader.upload(shared_books / "epub2/gutenberg-kafka-metamorphosis.epub")
                book_id = uploaded.json()["id"]
                statuses = []
                async with asyncio.timeout(90):
                    while not statuses or statuses[-1] not in ("ready", "failed"):
                        event = json.loads(await socket.recv())
                        if event.get("type") == "book.status" and event["book_id"] == book_id:
                            statuses.append(event["status"])
                assert statuses[-1] == "ready" and "analyzing" in statuses

            async with httpx.AsyncClient(base_url=api_2, timeout=30) as http_2:
                other_view = Reader(http_2, reader.email, reader.password, reader.tokens)
                book = (await other_view.get(f"/api/v1/books/{book_id}")).json()
                assert book["status"] == "ready"
                chapter = await other_view.get(f"/api/v1/books/{book_id}/chapters/1")
                assert chapter.status_code == 200  # files written by a worker, served by another process
    finally:
        for process in processes:
            process.stop()
    worker_logs = (tmp_path / "worker-1.log").read_text() + (tmp_path / "worker-2.log").read_text()
    assert f"parse_book:{book_id}" in worker_logs  # the standalone workers did the work, not the APIs
