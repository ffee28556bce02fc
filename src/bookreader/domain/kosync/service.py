"""KOReader sync: document ids → books, and one reading position shared with the web reader.

A push maps the device's XPointer to our (chapter, offset) and writes it through the reading domain (newest
write wins by time, as for every device); the XPointer itself is kept verbatim. A pull answers the current
position: the device's own XPointer while that position is still the current one, else an XPointer built
from the paragraph paths recorded at ingest (`xpointer.PositionMap`).
"""

from __future__ import annotations

import logging
import math
import uuid
from datetime import UTC, datetime
from pathlib import Path

import anyio
from arq.connections import ArqRedis

from bookreader.core.errors import DomainError
from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.kosync.digest import filename_md5, partial_md5, partial_md5_file
from bookreader.domain.kosync.schemas import (
    DOCUMENT_MISSING,
    INVALID_FIELDS,
    KosyncError,
    ProgressPush,
    ProgressState,
)
from bookreader.domain.kosync.tables import BookDigest, KosyncPosition
from bookreader.domain.kosync.xpointer import ChapterSources, PositionMap
from bookreader.domain.reading.schemas import ProgressWrite
from bookreader.domain.reading.service import write_progress
from bookreader.domain.reading.tables import ReadingPosition
from bookreader.settings import Settings

log = logging.getLogger(__name__)

WEB_DEVICE_ID = "bookreader-web"
INSERT_DIGEST = """
INSERT INTO book_digests (owner, book, digest, kind) VALUES ({}, {}, {}, {})
ON CONFLICT (owner, digest, book) DO NOTHING
"""
UPSERT_KOSYNC = """
INSERT INTO kosync_positions AS stored
    (owner, document, book, progress, percentage, device, device_id, chapter, char_offset, updated_at)
VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})
ON CONFLICT (owner, document) DO UPDATE SET
    book = excluded.book, progress = excluded.progress, percentage = excluded.percentage,
    device = excluded.device, device_id = excluded.device_id, chapter = excluded.chapter,
    char_offset = excluded.char_offset, updated_at = excluded.updated_at
"""


# document ids --------------------------------------------------------------------------------------------


async def record_digests(
    owner: uuid.UUID, book_id: uuid.UUID, *, data: bytes | None = None, path: Path | None = None,
    filenames: tuple[str, ...] = (),
) -> None:  # fmt: skip
    """Remember the KOReader ids of a file we store or serve (its partial MD5, and md5 of its names).

    Idempotent; ids are never removed while the book exists, so a copy made before a rewrite still matches.
    The illustrated EPUB export calls this with its bytes and download name, too.
    """
    digests: list[tuple[str, str]] = []
    if data is not None:
        digests.append((partial_md5(data), "partial_md5"))
    elif path is not None:
        digests.append((await anyio.to_thread.run_sync(partial_md5_file, path), "partial_md5"))
    digests += [(filename_md5(name), "filename") for name in filenames if name]
    for digest, kind in digests:
        await BookDigest.raw(INSERT_DIGEST, owner, book_id, digest, kind)


async def _backfill(owner: uuid.UUID, storage: Storage) -> None:
    """Books uploaded before document ids were recorded: hash their originals now."""
    rows = await Book.raw(
        "SELECT id, filename FROM books b WHERE owner = {} AND NOT EXISTS "
        "(SELECT 1 FROM book_digests d WHERE d.book = b.id AND d.kind = 'partial_md5')",
        owner,
    )
    for row in rows:
        path = storage.original_path(row["id"])
        if path.is_file():
            await record_digests(owner, row["id"], path=path, filenames=(row["filename"],))


async def find_book(owner: uuid.UUID, document: str, storage: Storage) -> uuid.UUID | None:
    async def lookup() -> uuid.UUID | None:
        row = (
            await BookDigest.select(BookDigest.book)
            .where(BookDigest.owner == owner, BookDigest.digest == document)
            .order_by(BookDigest.created_at, ascending=False)
            .first()
        )
        return row["book"] if row else None

    found = await lookup()
    if found is None:
        await _backfill(owner, storage)
        found = await lookup()
    return found


async def position_map(book_id: uuid.UUID) -> PositionMap:
    rows = (
        await Chapter.select(Chapter.number, Chapter.paragraphs, Chapter.sources)
        .where(Chapter.book == book_id)
        .order_by(Chapter.number)
        .output(load_json=True)
    )
    return PositionMap(ChapterSources(row["number"], row["paragraphs"], row["sources"] or []) for row in rows)


# push / pull ---------------------------------------------------------------------------------------------


def _valid(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _percentage(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


async def push(
    user: User, body: ProgressPush, *, settings: Settings, storage: Storage, queue: ArqRedis
) -> tuple[str, int]:
    document = body.document
    if not _valid(document) or ":" in document:  # type: ignore[operator]
        raise KosyncError(DOCUMENT_MISSING)
    percentage = _percentage(body.percentage)
    if percentage is None or not _valid(body.progress) or not _valid(body.device):
        raise KosyncError(INVALID_FIELDS)
    assert isinstance(document, str) and isinstance(body.progress, str) and isinstance(body.device, str)
    if len(document) > 64 or len(body.progress) > 4096:
        raise KosyncError(INVALID_FIELDS)
    device_id = body.device_id if isinstance(body.device_id, str) else ""
    now = datetime.now(UTC)
    book_id = await find_book(user.id, document, storage)
    chapter = offset = None
    if book_id is not None:
        positions = await position_map(book_id)
        located = positions.to_position(body.progress) or positions.from_fraction(percentage)
        if located is not None:
            try:
                written = await write_progress(
                    user.id, book_id,
                    ProgressWrite(chapter=located[0], offset=located[1], device=body.device[:100], updated_at=now,
                                  percentage=min(100.0, max(0.0, percentage * 100))),
                    settings=settings, queue=queue,
                )  # fmt: skip
                chapter, offset = written.chapter, written.offset
            except DomainError as exc:  # e.g. the book is being re-parsed: keep the device's words anyway
                log.info("kosync position for book %s not applied: %s", book_id, exc)
    await KosyncPosition.raw(
        UPSERT_KOSYNC, user.id, document, book_id, body.progress, percentage, body.device[:100],
        device_id[:100], chapter, offset, now,
    )  # fmt: skip
    return document, int(now.timestamp())


async def pull(user: User, document: str, *, storage: Storage) -> ProgressState:
    if not document or ":" in document or len(document) > 64:
        raise KosyncError(DOCUMENT_MISSING)
    book_id = await find_book(user.id, document, storage)
    if book_id is None:
        own = (
            await KosyncPosition.objects()
            .where(KosyncPosition.owner == user.id, KosyncPosition.document == document)
            .first()
        )
        return _verbatim(own, document, own.updated_at) if own else ProgressState()
    current = (
        await ReadingPosition.objects()
        .where(ReadingPosition.owner == user.id, ReadingPosition.book == book_id)
        .first()
    )
    if current is None:
        return ProgressState()
    written = (
        await KosyncPosition.objects()
        .where(KosyncPosition.owner == user.id, KosyncPosition.book == book_id)
        .order_by(KosyncPosition.updated_at, ascending=False)
        .first()
    )
    if written is not None and (written.chapter, written.char_offset) == (
        current.chapter,
        current.char_offset,
    ):
        return _verbatim(written, document, current.updated_at)  # still current: the device's own words
    xpointer = (await position_map(book_id)).to_xpointer(current.chapter, current.char_offset)
    if xpointer is None:
        return ProgressState()
    return ProgressState(
        document=document,
        progress=xpointer,
        percentage=round(current.percentage / 100, 6),
        device=current.device or "BookReader",
        device_id=WEB_DEVICE_ID,
        timestamp=int(current.updated_at.timestamp()),
    )


def _verbatim(row: KosyncPosition, document: str, at: datetime) -> ProgressState:
    return ProgressState(
        document=document,
        progress=row.progress,
        percentage=row.percentage,
        device=row.device,
        device_id=row.device_id,
        timestamp=int(at.timestamp()),
    )
