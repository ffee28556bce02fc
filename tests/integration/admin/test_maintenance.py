"""Scheduled clean-ups and crash recovery, run directly against the session's Postgres and Redis."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from redis.asyncio import Redis
from tests.harness import random_email

from bookreader.core import maintenance
from bookreader.core.storage import Storage
from bookreader.domain.accounts import jobs as account_jobs
from bookreader.domain.accounts import service as accounts
from bookreader.domain.accounts.tables import RefreshToken
from bookreader.domain.books import jobs as book_jobs
from bookreader.domain.books.tables import Book
from bookreader.settings import load_settings


@pytest.fixture
async def redis(migrated):
    client = Redis.from_url(migrated["REDIS_URL"])
    yield client
    await client.aclose()


async def test_purge_removes_only_long_expired_refresh_tokens(db, migrated) -> None:
    user = await accounts.register(random_email(), "long enough 1", None)
    now = datetime.now(UTC)
    for expires in (now - timedelta(days=3), now + timedelta(days=3)):
        await RefreshToken(
            user=user.id, family_id=uuid.uuid4(), token_hash=uuid.uuid4().hex, expires_at=expires
        ).save()
    assert await account_jobs.purge_refresh_tokens({}) >= 1
    left = await RefreshToken.select(RefreshToken.expires_at).where(RefreshToken.user == user.id)
    assert [row["expires_at"] > now for row in left] == [True]


async def test_orphaned_book_folders_are_removed_after_an_hour(db, migrated, tmp_path) -> None:
    user = await accounts.register(random_email(), "long enough 1", None)
    book = Book(owner=user.id, format="epub", content_hash=hashlib.sha256(os.urandom(8)).hexdigest())
    await book.save()
    storage = Storage(tmp_path / "files")
    old, fresh = uuid.uuid4(), uuid.uuid4()
    for folder in (old, fresh, book.id):
        storage.write(storage.original_path(folder), b"bytes")
    (storage.root / "books" / "not-a-book").mkdir()
    hours_ago = time.time() - 2 * 3600
    for folder in (old, book.id):
        os.utime(storage.book_dir(folder), (hours_ago, hours_ago))

    ctx = {"settings": load_settings(migrated), "storage": storage}
    assert await book_jobs.remove_orphaned_files(ctx) == 1
    assert not storage.book_dir(old).exists()  # no row, old: gone
    assert storage.book_dir(fresh).exists()  # no row yet, but maybe an upload in flight
    assert storage.book_dir(book.id).exists()  # has its row
    assert (storage.root / "books" / "not-a-book").exists()


async def test_release_orphaned_jobs_spares_live_workers_and_other_queues(redis) -> None:
    queue = f"bookreader:test:{uuid.uuid4().hex[:8]}:queue"
    other_queue = queue + ":other"
    dead, alive, foreign = (f"analyze_book:{uuid.uuid4()}" for _ in range(3))
    now_ms = time.time() * 1000
    await redis.zadd(queue, {dead: now_ms, alive: now_ms})
    await redis.zadd(other_queue, {foreign: now_ms})
    for job_id in (dead, alive, foreign):
        await redis.set(f"arq:in-progress:{job_id}", b"1", px=600_000)
    await redis.set(maintenance.workers_prefix(queue) + "w1", msgspec.json.encode([alive]), ex=10)

    assert await maintenance.live_workers(redis, queue) == {"w1": [alive]}
    released = await maintenance.release_orphaned_jobs(redis, queue)
    assert released == [dead]
    assert not await redis.exists(f"arq:in-progress:{dead}")
    assert await redis.exists(f"arq:in-progress:{alive}")
    assert await redis.exists(f"arq:in-progress:{foreign}")
    await redis.delete(queue, other_queue, *(f"arq:in-progress:{j}" for j in (alive, foreign)))
