"""ARQ stage `analyze_book`: chapters → descriptions and characters, in the worker's process pool.

Chapters go to the pool in size-balanced batches (`nlp.analyze_chunk`), so both processes work and the
event loop only waits; each finished batch publishes `book.status` progress. Each batch's result comes back
as msgpack bytes; the book-level character merge (`nlp.merge_chunks`) and the writing of the rows run in
the pool too (`store.py`). Output rows are replaced in one transaction, so a re-run (retry, recovery cron)
replaces rather than doubles.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
import uuid

import msgspec

from bookreader import nlp
from bookreader.core import db
from bookreader.core.jobs import JobContext
from bookreader.core.procpool import run_in_pool
from bookreader.core.queue import JobPayload
from bookreader.domain.books import pipeline
from bookreader.domain.books.jobs import AnalyzeBook
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions import judging, store
from bookreader.domain.descriptions.tables import NlpRun
from bookreader.domain.illustrations.ahead import pregenerate
from bookreader.domain.illustrations.portraits import queue_portraits_ahead
from bookreader.language import normalize_language
from bookreader.nlp import ChapterText

log = logging.getLogger(__name__)

BATCH_MIN_CHARS = 40_000  # below this, pool round-trips cost more than they save
BATCHES_PER_PROCESS = 8  # enough batches for even load and smooth progress events


class Outline(msgspec.Struct, frozen=True):
    """A chapter as the batching sees it: its size, not its text (that stays in Postgres for the pool)."""

    number: int
    size: int
    skip: bool  # front matter
    blank: bool


def chapter_batches(chapters: list[Outline], processes: int) -> list[list[int]]:
    """Consecutive chapter numbers grouped into batches of similar text size (front matter is not sent)."""
    work = [c for c in chapters if not c.skip and not c.blank]
    total = sum(c.size for c in work)
    target = max(BATCH_MIN_CHARS, total // max(1, processes * BATCHES_PER_PROCESS))
    batches: list[list[int]] = []
    current: list[int] = []
    size = 0
    for chapter in work:
        current.append(chapter.number)
        size += chapter.size
        if size >= target:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


LOAD_OUTLINE = r"""
SELECT number, length(text) AS size, is_front_matter AS skip, text ~ '^\s*$' AS blank
FROM chapters WHERE book = $1 ORDER BY number
"""


async def load_outline(book_id: uuid.UUID) -> list[Outline]:
    return [Outline(**row) for row in await db.fetch(LOAD_OUTLINE, book_id)]


async def load_chapters(book_id: uuid.UUID) -> list[ChapterText]:
    """All the book's chapter texts, on this loop: only for language detection and the LLM judge (the pool
    loads its batches itself)."""
    return [store.chapter_text(row) for row in await db.fetch(store.LOAD_CHAPTERS, book_id, None)]


class ReanalyzeBook(JobPayload, frozen=True):
    """Re-run the analysis of a ready book with the shipped model (admin: a newer model was installed).
    The job id names the analysis it replaces: asking twice before it ran queues it once, asking again
    after it ran queues a new one."""

    function = "reanalyze_book"
    book_id: str
    model_version: str  # the version the book will be analysed by
    replaces_run: str = ""  # the nlp_runs id at request time ("" when the book had none)

    def job_id(self) -> str:
        return f"reanalyze_book:{self.book_id}:{self.replaces_run}:{self.model_version}"


@pipeline.stage
async def analyze_book(ctx: JobContext, raw: dict) -> str:
    job = AnalyzeBook.load(raw)
    book = await Book.objects().output(load_json=True).where(Book.id == uuid.UUID(job.book_id)).first()
    if book is None or book.status != "analyzing":
        return "skipped"
    stored = await _analyse(ctx, book, progress=True)
    await pipeline.transition(ctx, book, "ready", progress=1.0, allowed_from=("analyzing",))
    await pregenerate(
        book.id, settings=ctx["settings"], queue=ctx["redis"]
    )  # placeholder pictures, chapter 1
    await queue_portraits_ahead(book.id, settings=ctx["settings"], queue=ctx["redis"])  # the main cast
    return f"ready: {stored.descriptions} descriptions, {stored.characters} characters"


async def reanalyze_book(ctx: JobContext, raw: dict) -> str:
    """The book stays `ready` (readers keep reading); passages that survive keep their rows and pictures."""
    job = ReanalyzeBook.load(raw)
    book = await Book.objects().output(load_json=True).where(Book.id == uuid.UUID(job.book_id)).first()
    if book is None or book.status != "ready":
        return "skipped"  # deleted, or in the pipeline (whose analysis is the shipped model's anyway)
    run = await NlpRun.select(NlpRun.id).where(NlpRun.book == book.id).first()
    if str(run["id"] if run else "") != job.replaces_run:
        return "skipped: analysed again since the request"  # a duplicate or retried delivery
    s = await _analyse(ctx, book, progress=False)
    await queue_portraits_ahead(book.id, settings=ctx["settings"], queue=ctx["redis"])
    return f"reanalysed with {s.model_version}: {s.kept} kept, {s.added} added, {s.dropped} dropped"


async def _analyse(ctx: JobContext, book: Book, *, progress: bool) -> store.Stored:
    """Analyse the book's chapters in the pool and replace its descriptions and characters (written by a
    pool process too: the chunks and rows never become objects on this loop)."""
    started = time.time()
    settings = ctx["settings"]
    outline = await load_outline(book.id)
    chapters: list[ChapterText] = []  # the texts stay in Postgres unless the language or the judge needs them
    if normalize_language(book.language) not in nlp.SUPPORTED or judging.enabled(settings):
        chapters = await load_chapters(book.id)
    language = nlp.detect_book_language(chapters, book.language)
    model = {"en": settings.nlp_model_en, "ru": settings.nlp_model_ru}.get(language)
    batches = chapter_batches(outline, settings.process_pool_size)
    results = await _run_batches(
        ctx, book if progress else None, book.id, batches, language, model, total=len(outline)
    )
    chunks = [chunk for _, chunk in results]
    run = store.RunInfo(
        loop_pid=os.getpid(),
        pool_pids=sorted({pid for pid, _ in results}),
        batches=len(batches),
        chapters=len(outline),
        started=started,
    )
    pool, dsn, book_id = ctx["process_pool"], settings.database_url, str(book.id)
    if not judging.enabled(settings):  # merge and write in one pool task
        return await run_in_pool(pool, store.merge_and_store, dsn, book_id, chunks, language, run)
    merged = await run_in_pool(pool, store.merge, chunks, language)
    analysis = store.decode_analysis(merged)  # the judge's I/O runs on this loop, after the pure pool work
    analysis.descriptions, report = await judging.judge(
        ctx["http"], ctx["redis"], settings, chapters, analysis.descriptions
    )
    log.info("LLM judge for book %s: %s", book.id, msgspec.to_builtins(report))
    return await run_in_pool(pool, store.store, dsn, book_id, store.encode_analysis(analysis), run)


async def _run_batches(
    ctx: JobContext,
    book: Book | None,  # None: no progress events (re-analysis of a ready book)
    book_id: uuid.UUID,
    batches: list[list[int]],  # chapter numbers
    language: str,
    model: str | None,
    total: int,
) -> list[tuple[int, bytes]]:
    """(pool pid, msgpack `ChunkAnalysis`) per batch, in batch order."""
    loop = asyncio.get_running_loop()
    pool, dsn, book_id = ctx["process_pool"], ctx["settings"].database_url, str(book_id)
    pending = {
        loop.run_in_executor(
            pool, functools.partial(store.analyze_stored, dsn, book_id, batch, language, model)
        ): index
        for index, batch in enumerate(batches)
    }
    results: list[tuple[int, bytes] | None] = [None] * len(batches)
    done_chapters = total - sum(len(b) for b in batches)  # front matter counts as done
    try:
        while pending:
            finished, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                results[index] = future.result()
                done_chapters += len(batches[index])
            if pending and book is not None:  # the final 1.0 comes with the `ready` transition
                await pipeline.report_progress(ctx, book, done_chapters / max(total, 1))
    finally:
        for future in pending:
            future.cancel()
    return [r for r in results if r is not None]


FUNCTIONS = [analyze_book, reanalyze_book]
