"""The book state machine (domain/books/pipeline.py) at service level, on the session's real Postgres and
Redis: a move happens only from an allowed state and announces itself; a late or duplicate job cannot move a
book backwards or out of `ready`/`failed`; a failure records its code."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from redis.asyncio import Redis

from bookreader.core.events import user_channel
from bookreader.domain.accounts.tables import User
from bookreader.domain.books import pipeline
from bookreader.domain.books.tables import Book
from bookreader.settings import load_settings


@pytest.fixture
async def ctx(migrated: dict[str, str], db: None) -> AsyncIterator[dict[str, Any]]:
    redis = Redis.from_url(migrated["REDIS_URL"])
    try:
        yield {"redis": redis, "settings": load_settings(migrated)}
    finally:
        await redis.aclose()


async def new_book(status: str = "queued") -> Book:
    user = User(email=f"states-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
    await user.save()
    book = Book(owner=user.id, format="epub", content_hash=uuid.uuid4().hex, status=status)
    await book.save()
    return book


async def status_of(book: Book) -> dict[str, Any]:
    row = (
        await Book.select(Book.status, Book.stage_progress, Book.error_code).where(Book.id == book.id).first()
    )
    assert row is not None
    return row


async def test_a_move_from_an_allowed_state_is_stored_and_announced(ctx: dict[str, Any]) -> None:
    book = await new_book("queued")
    pubsub = ctx["redis"].pubsub()
    await pubsub.subscribe(user_channel(ctx["settings"].events_prefix, book.owner))
    try:
        await pubsub.get_message(timeout=1)  # the subscription confirmation
        assert await pipeline.transition(ctx, book, "parsing", progress=0.25)
        assert await status_of(book) == {"status": "parsing", "stage_progress": 0.25, "error_code": None}
        message = None
        async with asyncio.timeout(5):
            while message is None:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        event = msgspec.json.decode(message["data"])
        assert (event["book_id"], event["status"], event["progress"]) == (str(book.id), "parsing", 0.25)
    finally:
        await pubsub.aclose()
        # not left unfinished: the service's stuck-book sweep would pick it up
        await pipeline.fail(ctx, book, "test_done", "state test finished")


async def test_a_late_job_cannot_move_a_book_backwards_or_out_of_a_final_state(ctx: dict[str, Any]) -> None:
    book = await new_book("analyzing")
    # a duplicate parse job arriving after analysis started
    assert not await pipeline.transition(ctx, book, "parsing", allowed_from=("queued",))
    assert (await status_of(book))["status"] == "analyzing"
    assert await pipeline.transition(ctx, book, "ready", progress=1.0, allowed_from=("analyzing",))
    for late in ("queued", "parsing", "analyzing", "failed"):
        assert not await pipeline.transition(ctx, book, late), late
    assert (await status_of(book))["status"] == "ready"


async def test_a_failure_records_its_code_and_ends_the_book(ctx: dict[str, Any]) -> None:
    book = await new_book("parsing")
    await pipeline.fail(ctx, book, "drm_protected", "The book is encrypted.")
    assert await status_of(book) == {"status": "failed", "stage_progress": 0.0, "error_code": "drm_protected"}
    assert book.status == "failed"
    assert not await pipeline.transition(ctx, book, "analyzing")
