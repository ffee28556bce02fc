"""kill -9 in the middle of analysing a big book, restart: the book completes within seconds (not after
ARQ's in-progress mark expires), with exactly the rows an uninterrupted run stores."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from tests.harness import LiveService
from tests.support import Reader, sign_up

MOBY_DICK = "epub3/idpf-moby-dick.epub"


async def wait_for_status(reader: Reader, book_id: str, statuses: tuple[str, ...], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        book = (await reader.get(f"/api/v1/books/{book_id}")).json()
        if book["status"] in statuses:
            return book
        await asyncio.sleep(0.05)
    raise AssertionError(f"book {book_id} never reached {statuses}")


async def row_counts(database_url: str, book_id: str) -> dict:
    conn = await asyncpg.connect(database_url)
    try:
        counts = {
            table: await conn.fetchval(f"SELECT count(*) FROM {table} WHERE book = $1", uuid.UUID(book_id))
            for table in ("chapters", "descriptions", "characters")
        }
        book = await conn.fetchrow(
            "SELECT status, chapter_count, word_count FROM books WHERE id = $1", uuid.UUID(book_id)
        )
        counts["status"] = book["status"]
        counts["book"] = (book["chapter_count"], book["word_count"])
        return counts
    finally:
        await conn.close()


@pytest.mark.slow
async def test_kill_9_mid_analysis_then_restart_completes_the_book(fault_env, shared_books, tmp_path):
    fault_env = {**fault_env, "BOOKREADER_PROCESS_POOL_SIZE": "1"}  # a longer analysis: a wider window to hit
    service = LiveService(fault_env, log_path=tmp_path / "service.log").start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            reader = await sign_up(http)
            uploaded = await reader.upload(shared_books / MOBY_DICK)
            assert uploaded.status_code == 202, uploaded.text
            book_id = uploaded.json()["id"]
            await wait_for_status(reader, book_id, ("analyzing",), timeout=120)
            await asyncio.sleep(0.3)  # the analyze job has started
    finally:
        service.kill()  # SIGKILL to the whole process group: API, embedded worker, NLP pool

    # the crash really happened mid-analysis: Postgres says analyzing, ARQ still marks the job in progress
    assert (await row_counts(fault_env["DATABASE_URL"], book_id))["status"] == "analyzing"
    redis = Redis.from_url(fault_env["REDIS_URL"])
    try:
        assert await redis.exists(f"arq:in-progress:analyze_book:{book_id}")
    finally:
        await redis.aclose()

    restarted_at = time.monotonic()
    service = LiveService(fault_env, log_path=tmp_path / "service-restarted.log").start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            login = await http.post(
                "/api/v1/auth/login", json={"email": reader.email, "password": reader.password}
            )
            reader = Reader(http, reader.email, reader.password, login.json())
            book = await wait_for_status(reader, book_id, ("ready", "failed"), timeout=150)
            recovered_in = time.monotonic() - restarted_at
            assert book["status"] == "ready", book
            # ARQ's in-progress mark would have blocked the job for job_timeout + 10 s = 610 s
            assert recovered_in < 180, recovered_in
            print(f"recovered and completed {recovered_in:.1f} s after restart")

            # the same book, uninterrupted, by another reader on the same service
            other = await sign_up(http)
            second = await other.upload(shared_books / MOBY_DICK)
            reference = await wait_for_status(other, second.json()["id"], ("ready", "failed"), timeout=150)
            assert reference["status"] == "ready"
    finally:
        service.stop()

    crashed_rows = await row_counts(fault_env["DATABASE_URL"], book_id)
    reference_rows = await row_counts(fault_env["DATABASE_URL"], reference["id"])
    assert crashed_rows == reference_rows  # no duplicate and no lost rows
    assert crashed_rows["chapters"] > 100 and crashed_rows["descriptions"] > 0
    assert crashed_rows["book"] == (reference["chapter_count"], reference["word_count"])
