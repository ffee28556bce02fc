"""Illustrated EPUB exports: is the file for this book current, and if not, start building it (once).

A request computes the export's fingerprint — the book and the ready pictures its owner has of it (and, for
the "cast" variant, how far the reader has read) — and compares it with the `book_exports` row. Current and
built: the file. Otherwise the row is switched to the new fingerprint (one conditional upsert, so any
number of simultaneous requests make one build) and the `build_export` job, whose id is the fingerprint, is
enqueued; the answer is 202 with the progress.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import msgspec
from arq.connections import ArqRedis

from bookreader.core.errors import Conflict, InvalidInput, NotFound
from bookreader.core.queue import enqueue
from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.service import get_book
from bookreader.domain.books.tables import Book
from bookreader.domain.exports.jobs import BuildExport
from bookreader.domain.exports.paths import download_name, exports_dir
from bookreader.domain.exports.schemas import ExportStatus
from bookreader.domain.exports.sources import cast_bound, cast_portraits, ready_pictures
from bookreader.domain.exports.tables import BookExport

FORMAT_VERSION = "2"  # bump when the writer's output changes: every export is rebuilt once
VARIANTS = ("plain", "cast")
MAX_FAILED_BUILDS = 3


class ExportFile(msgspec.Struct, frozen=True):
    path: Path
    filename: str


async def fingerprint(book: Book, variant: str) -> str:
    """What the export is made of; any change (a new or regenerated picture) gives a new fingerprint."""
    digest = hashlib.sha256()
    parts = [FORMAT_VERSION, variant, book.content_hash, str(book.chapter_count), str(book.word_count),
             str(book.start_chapter), book.title, ",".join(book.authors or [])]  # fmt: skip
    digest.update("\x1f".join(parts).encode())
    for picture in await ready_pictures(book.owner, book.id):
        digest.update(f"\x1e{picture['description']}:{picture['content_hash']}".encode())
    if variant == "cast":
        chapter, offset = await cast_bound(book.owner, book.id)
        digest.update(f"\x1dcast:{chapter}:{offset}".encode())
        for portrait in await cast_portraits(book.owner, book.id, (chapter, offset)):
            digest.update(f"\x1c{portrait}".encode())  # a new or pinned portrait: a new build
    return digest.hexdigest()


UPSERT = """
INSERT INTO book_exports (owner, book, variant, fingerprint, status, progress)
VALUES ({}, {}, {}, {}, 'building', 0)
ON CONFLICT (book, variant) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint, status = 'building', progress = 0, error_code = NULL,
    error_message = NULL, builds = CASE WHEN book_exports.fingerprint = EXCLUDED.fingerprint
                                        THEN book_exports.builds ELSE 0 END, updated_at = now()
WHERE book_exports.fingerprint <> EXCLUDED.fingerprint OR book_exports.status = 'failed'
   OR (book_exports.status = 'ready' AND {})
RETURNING progress
"""


async def request_export(
    user: User, book_id: uuid.UUID, variant: str, *, storage: Storage, queue: ArqRedis
) -> ExportFile | ExportStatus:
    """The current file, or the status of its build (started here if need be)."""
    if variant not in VARIANTS:
        raise InvalidInput(f"variant must be one of {', '.join(VARIANTS)}.", code="invalid_variant")
    book = await get_book(user, book_id)
    if book.status != "ready":
        raise Conflict(
            "The book is still being processed; export it once it is ready.", code="book_not_ready"
        )
    current = await fingerprint(book, variant)
    row = await BookExport.objects().where(BookExport.book == book.id, BookExport.variant == variant).first()
    file_missing = False
    if row is not None and row.fingerprint == current:
        if row.status == "ready":
            path = exports_dir(storage, book.id) / row.file_name
            if row.file_name and path.is_file():
                return ExportFile(path=path, filename=download_name(book.title, variant))
            file_missing = True  # removed behind our back (a restore, a cleanup): build it again
        elif row.status == "failed" and row.builds >= MAX_FAILED_BUILDS:
            raise Conflict(f"The export could not be built: {row.error_message or 'unknown error'}",
                           code="export_failed")  # fmt: skip
    moved = await BookExport.raw(UPSERT, user.id, book.id, variant, current, file_missing)
    progress = moved[0]["progress"] if moved else (row.progress if row is not None else 0.0)
    await enqueue(queue, BuildExport(book_id=str(book.id), variant=variant, fingerprint=current))
    return ExportStatus(status="building", progress=round(progress, 4))


async def built_file(user: User, book_id: uuid.UUID, storage: Storage) -> ExportFile:
    """The last plain export built, current or not (for OPDS clients, which cannot wait for a 202)."""
    book = await get_book(user, book_id)
    row = await BookExport.objects().where(BookExport.book == book.id, BookExport.variant == "plain").first()
    path = exports_dir(storage, book.id) / row.file_name if row is not None and row.file_name else None
    if path is None or not path.is_file():
        raise NotFound("This book has not been exported yet.", code="export_not_built")
    return ExportFile(path=path, filename=download_name(book.title, "plain"))


async def built_exports(owner: uuid.UUID, book_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these books have a plain export file built (the OPDS acquisition link)."""
    if not book_ids:
        return set()
    rows: list[dict[str, Any]] = await BookExport.raw(
        "SELECT book FROM book_exports WHERE owner = {} AND book = ANY({}) AND variant = 'plain' "
        "AND file_name <> ''",
        owner,
        book_ids,
    )
    return {row["book"] for row in rows}
