"""The `build_export` job: gather the book (Postgres, files), build the EPUB in the process pool, record the
file and its KOReader ids, tell the reader (WebSocket) and their webhooks (`export.ready`).

Idempotent: the job id is (book, variant, fingerprint); a run finding its fingerprint already built, or
superseded by a newer request, does nothing; the file is written under a name derived from the fingerprint
(temp file + rename), so a second run replaces it with the same bytes.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

from arq import Retry

from bookreader.core.events import ExportStatusEvent, publish
from bookreader.core.jobs import JobContext, is_transient
from bookreader.core.procpool import run_in_pool
from bookreader.core.queue import JobPayload
from bookreader.domain.books.tables import Book
from bookreader.domain.exports.cpu import build_file
from bookreader.domain.exports.paths import download_name, export_url, exports_dir, file_name_for
from bookreader.domain.exports.sources import export_source
from bookreader.domain.exports.tables import BookExport
from bookreader.domain.kosync.service import record_digests
from bookreader.domain.webhooks import events as webhook_events

log = logging.getLogger(__name__)
MAX_TRIES = 4


class BuildExport(JobPayload, frozen=True):
    function = "build_export"
    book_id: str
    variant: str
    fingerprint: str

    def job_id(self) -> str:
        return f"build_export:{self.book_id}:{self.variant}:{self.fingerprint}"


async def _status(ctx: JobContext, row: BookExport, status: str, progress: float, **values: Any) -> bool:
    """Update the row if it still is this build's (same fingerprint); publish the live event."""
    update = {
        BookExport.status: status,
        BookExport.progress: progress,
        BookExport.updated_at: datetime.now(UTC),
    }
    update.update({getattr(BookExport, key): value for key, value in values.items()})
    moved = (
        await BookExport.update(update)
        .where(BookExport.id == row.id, BookExport.fingerprint == row.fingerprint)
        .returning(BookExport.id)
    )
    if moved:
        event = ExportStatusEvent(
            book_id=str(row.book), status=status, progress=progress, variant=row.variant,
            url=export_url(row.book) if status == "ready" else None,
        )  # fmt: skip
        await publish(ctx["redis"], ctx["settings"].events_prefix, row.owner, event)
    return bool(moved)


async def build_export(ctx: JobContext, raw: dict) -> str:
    job = BuildExport.load(raw)
    row = (
        await BookExport.objects()
        .where(BookExport.book == uuid.UUID(job.book_id), BookExport.variant == job.variant)
        .first()
    )
    if row is None or row.fingerprint != job.fingerprint:
        return "superseded"  # the book is gone, or pictures changed and a newer build is asked for
    storage = ctx["storage"]
    target = exports_dir(storage, row.book) / file_name_for(job.variant, job.fingerprint)
    if row.status == "ready" and row.file_name == target.name and target.is_file():
        return "built already"
    book = await Book.objects().output(load_json=True).where(Book.id == row.book).first()
    if book is None:
        return "superseded"
    await BookExport.update({BookExport.builds: BookExport.builds + 1}).where(BookExport.id == row.id)
    try:
        await _status(ctx, row, "building", 0.1)
        source = await export_source(book, job.variant, storage)
        await _status(ctx, row, "building", 0.3)
        built = await run_in_pool(ctx["process_pool"], build_file, source, str(target))
        await _status(ctx, row, "building", 0.9)
    except Retry:
        raise
    except Exception as exc:
        return await _failed(ctx, row, exc)
    name = download_name(book.title, job.variant)
    await record_digests(book.owner, book.id, path=target, filenames=(name,))  # KOReader's document ids
    done = await _status(ctx, row, "ready", 1.0, file_name=target.name, built_fingerprint=job.fingerprint,
                         size_bytes=built.size)  # fmt: skip
    if not done:
        return "superseded"
    for old in target.parent.glob(f"{job.variant}-*.epub"):  # older builds of this variant
        if old != target:
            old.unlink(missing_ok=True)
    await webhook_events.export_ready(ctx["redis"], book.owner, book.id, export_url(book.id))
    return f"built {built.size} bytes"


async def _failed(ctx: JobContext, row: BookExport, exc: Exception) -> str:
    tries = ctx.get("job_try", 1)
    if isinstance(exc, BrokenProcessPool):  # a child died (OOM killer, segfault): fresh pool
        ctx["reset_process_pool"]()
    if (is_transient(exc) or isinstance(exc, BrokenProcessPool)) and tries < MAX_TRIES:
        log.warning("build_export: transient %s, retry %d", type(exc).__name__, tries)
        raise Retry(defer=min(30, 2**tries)) from exc
    log.exception("export of book %s failed", row.book)
    code = "too_complex" if isinstance(exc, MemoryError) else "internal_error"
    await _status(
        ctx, row, "failed", 0.0, error_code=code, error_message=f"Export failed: {type(exc).__name__}"
    )
    return f"failed: {code}"


FUNCTIONS = [build_export]
