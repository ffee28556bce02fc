"""ARQ jobs of the book pipeline. Each stage reads its input from Postgres, replaces its own output rows in
one transaction, then advances the status — so running a stage twice changes nothing."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bookreader.core.jobs import JobContext
from bookreader.core.procpool import run_in_pool
from bookreader.core.queue import JobPayload, enqueue
from bookreader.domain.books import pipeline
from bookreader.domain.books.cpu import parse_and_store
from bookreader.domain.books.tables import Book
from bookreader.ingest import IngestError, IngestLimits
from bookreader.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a book that keeps killing the pipeline ends `failed` instead of looping forever


class ParseBook(JobPayload, frozen=True):
    function = "parse_book"
    book_id: str

    def job_id(self) -> str:
        return f"parse_book:{self.book_id}"


class AnalyzeBook(JobPayload, frozen=True):
    function = "analyze_book"
    book_id: str

    def job_id(self) -> str:
        return f"analyze_book:{self.book_id}"


def ingest_limits(settings: Settings) -> IngestLimits:
    return IngestLimits(
        max_upload_bytes=settings.max_upload_bytes,
        max_uncompressed_bytes=settings.max_uncompressed_bytes,
        max_compression_ratio=settings.max_compression_ratio,
        max_entries=settings.max_archive_entries,
        max_book_chars=settings.max_book_chars,
        max_book_words=settings.max_book_words,
        max_book_chapters=settings.max_book_chapters,
    )


@pipeline.stage
async def parse_book(ctx: JobContext, raw: dict) -> str:
    job = ParseBook.load(raw)
    book = await Book.objects().output(load_json=True).where(Book.id == uuid.UUID(job.book_id)).first()
    if book is None or book.status not in ("queued", "parsing"):
        return "skipped"  # deleted, or a duplicate run of a stage already done
    if book.status == "queued":
        await Book.update({Book.attempts: Book.attempts + 1}).where(Book.id == book.id)
        book.attempts += 1
    if book.attempts > MAX_ATTEMPTS:
        await pipeline.fail(ctx, book, "processing_crashed", "Processing this book failed repeatedly.")
        return "failed"
    await pipeline.transition(ctx, book, "parsing", allowed_from=("queued", "parsing"))

    storage = ctx["storage"]
    limits = ingest_limits(ctx["settings"])
    try:
        # parsed, its files and its rows written in the pool process: only counts come back to this loop
        await run_in_pool(
            ctx["process_pool"],
            parse_and_store,
            str(storage.original_path(book.id)),
            limits,
            f"/api/v1/books/{book.id}/assets/",
            ctx["settings"].database_url,
            str(storage.root),
            str(book.id),
            book.title,
        )
    except IngestError as exc:
        await pipeline.fail(ctx, book, exc.code, exc.message)
        return f"failed: {exc.code}"
    except FileNotFoundError:
        await pipeline.fail(ctx, book, "file_missing", "The uploaded file is missing from storage.")
        return "failed: file_missing"
    except MemoryError:
        await pipeline.fail(ctx, book, "too_complex", "The book needs more memory than allowed to parse.")
        return "failed: too_complex"

    await pipeline.transition(ctx, book, "analyzing", allowed_from=("parsing",))
    await enqueue(ctx["redis"], AnalyzeBook(book_id=str(book.id)))
    return "parsed"


async def recover_stuck_books(ctx: JobContext) -> int:
    """Cron: re-enqueue books a crash left in a non-terminal stage for `stuck_after` (Postgres is the truth;
    the queue may be gone)."""
    return await _requeue_unfinished(ctx, timedelta(seconds=ctx["settings"].stuck_after))


async def recover_unfinished_books(ctx: JobContext) -> int:
    """At worker start: every unfinished book, whatever its age."""
    return await _requeue_unfinished(ctx, timedelta(0))


async def _requeue_unfinished(ctx: JobContext, older_than: timedelta) -> int:
    """Enqueueing is idempotent: a job id that is still queued or running is not added twice."""
    cutoff = datetime.now(UTC) - older_than
    rows = await Book.select(Book.id, Book.status).where(
        Book.status.is_in(list(pipeline.ACTIVE)), Book.updated_at < cutoff
    )
    count = 0
    for row in rows:
        payload = AnalyzeBook if row["status"] == "analyzing" else ParseBook
        if await enqueue(ctx["redis"], payload(book_id=str(row["id"]))):
            count += 1
    if count:
        log.info("re-enqueued %d stuck books", count)
    return count


def _stale_dirs(books_root: Path, min_age: float) -> dict[uuid.UUID, Path]:
    cutoff = time.time() - min_age
    found: dict[uuid.UUID, Path] = {}
    if not books_root.is_dir():
        return found
    for entry in books_root.iterdir():
        try:
            book_id = uuid.UUID(entry.name)
        except ValueError:
            continue  # not ours to judge
        if entry.is_dir() and entry.stat().st_mtime < cutoff:
            found[book_id] = entry
    return found


async def remove_orphaned_files(ctx: JobContext) -> int:
    """Book folders with no book row (a crash between file and row, or a delete that lost its files step),
    older than `orphan_min_age` so an upload in flight is never touched."""
    settings: Settings = ctx["settings"]
    books_root = ctx["storage"].root / "books"
    candidates = await asyncio.to_thread(_stale_dirs, books_root, settings.orphan_min_age)
    if not candidates:
        return 0
    known = {
        row["id"]
        for row in await Book.select(Book.id).where(Book.id.is_in(list(candidates)))  # type: ignore[arg-type]
    }
    orphans = [path for book_id, path in candidates.items() if book_id not in known]
    for path in orphans:
        await asyncio.to_thread(shutil.rmtree, path, True)
    if orphans:
        log.info("removed %d orphaned book folders", len(orphans))
    return len(orphans)


FUNCTIONS = [parse_book]
