"""Books: upload (deduplicated by content), listing, reading chapters, deletion."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Any, BinaryIO

import anyio
import msgspec
from arq.connections import ArqRedis
from asyncpg.exceptions import UniqueViolationError

from bookreader.core import db
from bookreader.core.auth import Caller, inactive_account
from bookreader.core.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    RateLimited,
    UnsupportedMedia,
)
from bookreader.core.queue import enqueue
from bookreader.core.storage import Storage
from bookreader.domain.accounts.plans import limits_for
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.extensions import DESCRIPTIONS_SQL, IMAGES_SQL, decode_images
from bookreader.domain.books.jobs import ParseBook
from bookreader.domain.books.pipeline import ACTIVE
from bookreader.domain.books.schemas import BookError, BookRead, ChapterSummary
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.illustrations.schemas import ImageRead
from bookreader.domain.kosync.service import record_digests
from bookreader.ingest import content_hash_file, sniff_format
from bookreader.settings import Settings

API = "/api/v1"


class BookRow(msgspec.Struct):
    """A book as the hot reads select it (`BOOK_COLUMNS`): what `book_read` needs, without a Piccolo object."""

    id: uuid.UUID
    title: str
    authors: list[str]
    language: str | None
    format: str
    status: str
    stage_progress: float
    error_code: str | None
    error_message: str | None
    chapter_count: int
    word_count: int
    file_size: int
    filename: str
    has_cover: bool
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    start_chapter: int | None


BOOK_COLUMNS = (
    "b.id, b.title, b.authors::text AS authors, b.language, b.format, b.status, b.stage_progress, b.error_code, "
    "b.error_message, b.chapter_count, b.word_count, b.file_size, b.filename, b.has_cover, "
    "b.metadata::text AS metadata, b.created_at, b.updated_at, b.start_chapter"
)
# The caller's account, active (no row otherwise), and their book (NULLs when it is not theirs): the account
# check of `core.auth.authenticate` and the read in one round trip.
BOOK_SQL = f"""
SELECT {BOOK_COLUMNS} FROM users u LEFT JOIN books b ON b.id = $1 AND b.owner = u.id
WHERE u.id = $2 AND NOT u.disabled
"""
# newest first, with the total in the same statement (a window count over the filtered rows)
LIST_BOOKS_SQL = f"""
SELECT {BOOK_COLUMNS}, count(*) OVER () AS total FROM books b
WHERE b.owner = $1 AND ($2::text IS NULL OR b.title ILIKE $2 OR b.authors::text ILIKE $2)
ORDER BY b.created_at DESC LIMIT $3 OFFSET $4
"""
COUNT_BOOKS_SQL = """
SELECT count(*) FROM books WHERE owner = $1 AND ($2::text IS NULL OR title ILIKE $2 OR authors::text ILIKE $2)
"""
_json_list = msgspec.json.Decoder(list[str])
_json_object = msgspec.json.Decoder(dict[str, Any])


def _book_row(record: Any) -> BookRow:
    values = dict(record)
    values.pop("total", None)
    values["authors"] = _json_list.decode(values["authors"] or "[]")
    values["metadata"] = _json_object.decode(values["metadata"] or "{}")
    return BookRow(**values)


def book_read(book: Book | BookRow) -> BookRead:
    meta: dict[str, Any] = book.metadata if isinstance(book.metadata, dict) else {}
    error = BookError(code=book.error_code, message=book.error_message or "") if book.error_code else None
    cover = f"{API}/books/{book.id}/cover" if book.has_cover else None
    return BookRead(
        id=book.id,
        title=book.title,
        authors=list(book.authors or []),
        language=book.language,
        format=book.format,
        status=book.status,
        stage=book.status,
        stage_progress=book.stage_progress,
        error=error,
        chapter_count=book.chapter_count,
        word_count=book.word_count,
        cover_url=cover,
        thumbnail_url=f"{cover}?size=thumb" if cover else None,
        file_size=book.file_size,
        filename=book.filename,
        created_at=book.created_at,
        updated_at=book.updated_at,
        series=meta.get("series"),
        series_index=meta.get("series_index"),
        annotation=meta.get("annotation"),
        publisher=meta.get("publisher"),
        year=meta.get("year"),
        identifiers=meta.get("identifiers") or {},
        subjects=meta.get("subjects") or [],
        start_chapter=book.start_chapter,
    )


class Received(msgspec.Struct, frozen=True):
    """What is knowable about an upload before parsing: format, dedup hash, size."""

    format: str
    digest: str
    size: int


def check_upload(source: BinaryIO, settings: Settings) -> Received:
    """Size, format and hash of an uploaded file (spooled to disk by the server, read here in chunks), or
    the contract's 4xx for what is knowable before parsing. Blocking: run it in a thread."""
    size = source.seek(0, os.SEEK_END)
    if size > settings.max_upload_bytes:
        limit_mb = settings.max_upload_bytes // (1024 * 1024)
        raise PayloadTooLarge(f"The file is larger than the {limit_mb} MB limit.")
    if not size:
        raise InvalidInput("The file is empty.", code="empty_file")
    fmt = sniff_format(source)
    if fmt is None:
        raise UnsupportedMedia("This is not an EPUB or FB2 book.", code="unsupported_format")
    return Received("fb2" if fmt.startswith("fb2") else "epub", content_hash_file(source), size)


async def upload(
    user: User, filename: str, source: BinaryIO, *, settings: Settings, storage: Storage, queue: ArqRedis
) -> tuple[Book, bool]:
    """Store the upload and queue its parsing. Returns (book, created); the same file again → the existing book.

    `source` is a seekable file (the request's spooled upload, or a file being imported): it is checked,
    hashed and copied in chunks, so a 50 MB upload costs the API process a chunk, not 50 MB (review #11).
    """
    received = await anyio.to_thread.run_sync(check_upload, source, settings)
    digest = received.digest
    existing = (
        await Book.objects()
        .output(load_json=True)
        .where(Book.owner == user.id, Book.content_hash == digest)
        .first()
    )
    if existing is not None:
        return existing, False
    limit = limits_for(user.plan, settings).books
    if limit is not None and await Book.count().where(Book.owner == user.id) >= limit:
        raise QuotaExceeded(f"Your plan allows {limit} books; delete one or upgrade.")
    await _check_active_books(user, settings)

    book_id = uuid.uuid4()
    path = storage.original_path(book_id)
    # the file first, then the row: a crash in between leaves an orphan file (swept later), never a row
    # pointing at nothing
    await anyio.to_thread.run_sync(storage.write_stream, path, source)
    book = Book(
        id=book_id,
        owner=user.id,
        title=_title_from_filename(filename),
        format=received.format,
        status="queued",
        content_hash=digest,
        file_size=received.size,
        filename=filename[:500],
    )
    try:
        await book.save()
    except UniqueViolationError:  # the same file uploaded twice at once
        await anyio.to_thread.run_sync(storage.remove_book, book_id)
        existing = (
            await Book.objects()
            .output(load_json=True)
            .where(Book.owner == user.id, Book.content_hash == digest)
            .first()
        )
        if existing is None:
            raise
        return existing, False
    book = await Book.objects().output(load_json=True).where(Book.id == book_id).first()
    await record_digests(user.id, book_id, path=path, filenames=(filename,))  # KOReader's document ids
    await enqueue(queue, ParseBook(book_id=str(book_id)))
    return book, True


async def _check_active_books(user: User, settings: Settings) -> None:
    """At most `max_active_books_per_user` books of one user in the pipeline at once: one account cannot
    fill the workers' queue and CPU for everybody."""
    cap = settings.max_active_books_per_user
    if cap and await Book.count().where(Book.owner == user.id, Book.status.is_in(list(ACTIVE))) >= cap:
        raise RateLimited(
            f"{cap} of your books are still being processed; upload more when they are done.",
            code="too_many_active_books",
            headers={"Retry-After": "30"},
        )


def _title_from_filename(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1]
    for suffix in (".fb2.zip", ".epub", ".fb2", ".zip"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.replace("_", " ").strip()[:300] or "Untitled"


async def get_book(user: User, book_id: uuid.UUID) -> Book:
    book = (
        await Book.objects().output(load_json=True).where(Book.id == book_id, Book.owner == user.id).first()
    )
    if book is None:
        raise NotFound("No such book.", code="book_not_found")
    return book


async def read_book(caller: Caller, book_id: uuid.UUID) -> BookRead:
    """GET book: one prepared statement that also checks the account and the ownership."""
    row = await db.fetchrow(BOOK_SQL, book_id, caller.user_id)
    if row is None:
        raise inactive_account()
    if row["id"] is None:
        raise NotFound("No such book.", code="book_not_found")
    return book_read(_book_row(row))


async def list_books(user: User, *, limit: int, offset: int, q: str | None) -> tuple[list[BookRow], int]:
    """A page of the caller's books, newest first, and how many match: one statement (a second only for a
    page past the end, which has no row to carry the total)."""
    pattern = f"%{q.strip()}%" if q else None
    rows = await db.fetch(LIST_BOOKS_SQL, user.id, pattern, limit, offset)
    if rows:
        return [_book_row(row) for row in rows], rows[0]["total"]
    total = await db.fetchval(COUNT_BOOKS_SQL, user.id, pattern) if offset else 0
    return [], total


async def list_chapters(user: User, book_id: uuid.UUID) -> list[ChapterSummary]:
    book = await get_book(user, book_id)
    rows = (
        await Chapter.select(
            Chapter.number, Chapter.title, Chapter.level, Chapter.word_count, Chapter.is_front_matter
        )
        .where(Chapter.book == book.id)
        .order_by(Chapter.number)
    )
    return [ChapterSummary(**row) for row in rows]


# the account (active, else no row), the book (NULLs when not the caller's), the chapter, its descriptions
# and the caller's pictures of it: one statement
CHAPTER_SQL = f"""
SELECT b.id AS book_id, b.chapter_count, b.status, c.number, c.title, c.level, c.html, c.text,
       c.paragraphs::text AS paragraphs, c.word_count, c.is_front_matter,
       {DESCRIPTIONS_SQL} AS descriptions,
       {IMAGES_SQL} AS images
FROM users u LEFT JOIN books b ON b.id = $1 AND b.owner = u.id
LEFT JOIN chapters c ON c.book = b.id AND c.number = $3
WHERE u.id = $2 AND NOT u.disabled
"""


class ChapterBody(msgspec.Struct):
    """`ChapterRead` as sent: the JSON Postgres built (paragraphs, descriptions) passes through untouched."""

    number: int
    title: str
    level: int
    html: str
    text: str
    paragraphs: msgspec.Raw
    word_count: int
    is_front_matter: bool
    descriptions: msgspec.Raw
    images: list[ImageRead]
    prev: int | None = None
    next: int | None = None


_encoder = msgspec.json.Encoder()


async def get_chapter(caller: Caller, book_id: uuid.UUID, number: int) -> tuple[bytes, bool]:
    """The chapter as JSON (`ChapterRead`), in one statement that also checks the account and ownership;
    and whether the book is ready (its chapters then never change)."""
    row = await db.fetchrow(CHAPTER_SQL, book_id, caller.user_id, number)
    if row is None:
        raise inactive_account()
    if row["book_id"] is None:
        raise NotFound("No such book.", code="book_not_found")
    if row["number"] is None:
        raise NotFound("No such chapter.", code="chapter_not_found")
    body = ChapterBody(
        number=number,
        title=row["title"],
        level=row["level"],
        html=row["html"],
        text=row["text"],
        paragraphs=msgspec.Raw((row["paragraphs"] or "[]").encode()),
        word_count=row["word_count"],
        is_front_matter=row["is_front_matter"],
        descriptions=msgspec.Raw(row["descriptions"].encode()),
        images=decode_images(row["images"]),
        prev=number - 1 if number > 1 else None,
        next=number + 1 if number < row["chapter_count"] else None,
    )
    return _encoder.encode(body), row["status"] == "ready"


async def delete_book(user: User, book_id: uuid.UUID, storage: Storage) -> None:
    book = await get_book(user, book_id)
    await Book.delete().where(Book.id == book.id)  # chapters, descriptions, annotations cascade
    await anyio.to_thread.run_sync(storage.remove_book, book.id)
