"""The book state machine: `queued → parsing → analyzing → ready`, or `failed` with a code.

Postgres holds the truth; every transition is a conditional update (so a duplicate or late job cannot move a
book backwards) followed by a `book.status` event.
"""

from __future__ import annotations

import functools
import logging
import uuid
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime

from arq import Retry
from redis.asyncio import Redis

from bookreader.core.events import BookStatusEvent, publish
from bookreader.core.jobs import JobContext, is_transient
from bookreader.domain.books.tables import Book
from bookreader.domain.webhooks import events as webhook_events

ACTIVE = ("queued", "parsing", "analyzing")


async def publish_status(
    redis: Redis, prefix: str, owner: uuid.UUID, book_id: uuid.UUID, status: str, progress: float,
    error: dict | None = None,
) -> None:  # fmt: skip
    event = BookStatusEvent(
        book_id=str(book_id), status=status, stage=status, progress=round(progress, 4), error=error
    )
    await publish(redis, prefix, owner, event)


async def transition(
    ctx: JobContext,
    book: Book,
    status: str,
    *,
    progress: float = 0.0,
    allowed_from: tuple[str, ...] = ACTIVE,
    values: dict | None = None,
) -> bool:
    """Move `book` to `status` if it is currently in `allowed_from`; publish the event. False if not moved."""
    update: dict = {Book.status: status, Book.stage_progress: progress, Book.updated_at: datetime.now(UTC)}
    if values:
        update.update(values)
    moved = (
        await Book.update(update)
        .where(Book.id == book.id, Book.status.is_in(list(allowed_from)))
        .returning(Book.id)
    )
    if not moved:
        return False
    book.status = status
    await publish_status(ctx["redis"], ctx["settings"].events_prefix, book.owner, book.id, status, progress)
    if status == "ready":
        await webhook_events.book_ready(ctx["redis"], book)
    return True


async def report_progress(ctx: JobContext, book: Book, progress: float) -> None:
    await Book.update({Book.stage_progress: progress, Book.updated_at: datetime.now(UTC)}).where(
        Book.id == book.id, Book.status == book.status
    )
    await publish_status(
        ctx["redis"], ctx["settings"].events_prefix, book.owner, book.id, book.status, progress
    )


async def fail(ctx: JobContext, book: Book, code: str, message: str) -> None:
    values = {Book.error_code: code, Book.error_message: message[:2000]}
    update: dict = {
        Book.status: "failed",
        Book.stage_progress: 0.0,
        Book.updated_at: datetime.now(UTC),
        **values,
    }
    await Book.update(update).where(Book.id == book.id)
    book.status = "failed"
    await publish_status(
        ctx["redis"], ctx["settings"].events_prefix, book.owner, book.id, "failed", 0.0,
        error={"code": code, "message": message},
    )  # fmt: skip
    await webhook_events.book_failed(ctx["redis"], book, code, message)


MAX_TRIES = 5


def stage(fn):
    """A pipeline stage never strands its book: transient faults are retried with backoff, anything else
    (or retries running out) ends the book `failed` with a code."""
    log = logging.getLogger(fn.__module__)

    @functools.wraps(fn)
    async def wrapper(ctx: JobContext, raw: dict) -> str:
        try:
            return await fn(ctx, raw)
        except Retry:
            raise
        except Exception as exc:
            tries = ctx.get("job_try", 1)
            if isinstance(exc, BrokenProcessPool):  # a child died (OOM killer, segfault): fresh pool
                ctx["reset_process_pool"]()
            if (is_transient(exc) or isinstance(exc, BrokenProcessPool)) and tries < MAX_TRIES:
                log.warning("%s: transient %s, retry %d", fn.__name__, type(exc).__name__, tries)
                raise Retry(defer=min(30, 2**tries)) from exc
            log.exception("%s failed for book %s", fn.__name__, raw.get("book_id"))
            book = (
                await Book.objects()
                .output(load_json=True)
                .where(Book.id == uuid.UUID(raw["book_id"]))
                .first()
            )
            if book is not None and book.status in ACTIVE:
                await fail(ctx, book, "internal_error", f"Processing failed: {type(exc).__name__}")
            return "failed: internal_error"

    return wrapper
