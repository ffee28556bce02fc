"""ARQ stage `analyze_book`: chapters → descriptions and characters, in the worker's process pool.

Chapters go to the pool in size-balanced batches (`nlp.analyze_chunk`), so both processes work and the
event loop only waits; each finished batch publishes `book.status` progress. The book-level character
merge (`nlp.merge_chunks`) is cheap and runs here. Output rows are replaced in one transaction, so a
re-run (retry, recovery cron) replaces rather than doubles.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bookreader import nlp
from bookreader.domain.books import pipeline
from bookreader.domain.books.jobs import AnalyzeBook
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.descriptions.tables import Character, Description, NlpRun
from bookreader.nlp import BookAnalysis, ChapterText, ChunkAnalysis

log = logging.getLogger(__name__)

BATCH_MIN_CHARS = 40_000  # below this, pool round-trips cost more than they save
BATCHES_PER_PROCESS = 8  # enough batches for even load and smooth progress events
INSERT_BATCH = 1000


def chapter_batches(chapters: list[ChapterText], processes: int) -> list[list[ChapterText]]:
    """Consecutive chapters grouped into batches of similar text size (front matter is not sent)."""
    work = [c for c in chapters if not c.skip and c.text.strip()]
    total = sum(len(c.text) for c in work)
    target = max(BATCH_MIN_CHARS, total // max(1, processes * BATCHES_PER_PROCESS))
    batches: list[list[ChapterText]] = []
    current: list[ChapterText] = []
    size = 0
    for chapter in work:
        current.append(chapter)
        size += len(chapter.text)
        if size >= target:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


async def load_chapters(book_id: uuid.UUID) -> list[ChapterText]:
    rows = (
        await Chapter.select(Chapter.number, Chapter.text, Chapter.paragraphs, Chapter.is_front_matter)
        .output(load_json=True)
        .where(Chapter.book == book_id)
        .order_by(Chapter.number)
    )
    return [
        ChapterText(
            number=row["number"],
            text=row["text"],
            paragraphs=[tuple(p) for p in row["paragraphs"] or []],
            skip=row["is_front_matter"],
        )
        for row in rows
    ]


@pipeline.stage
async def analyze_book(ctx: dict[str, Any], raw: dict) -> str:
    job = AnalyzeBook.load(raw)
    book = await Book.objects().output(load_json=True).where(Book.id == uuid.UUID(job.book_id)).first()
    if book is None or book.status != "analyzing":
        return "skipped"
    started = time.perf_counter()
    chapters = await load_chapters(book.id)
    language = nlp.detect_book_language(chapters, book.language)
    settings = ctx["settings"]
    model = {"en": settings.nlp_model_en, "ru": settings.nlp_model_ru}.get(language)
    batches = chapter_batches(chapters, settings.process_pool_size)
    chunks = await _run_batches(ctx, book, batches, language, model, total=len(chapters))
    # ~60 ms for a 1 MB novel: in a thread, so the API sharing this event loop keeps answering meanwhile
    analysis: BookAnalysis = await asyncio.to_thread(nlp.merge_chunks, chunks, language)
    run = NlpRun(
        book=book.id,
        language=analysis.language,
        loop_pid=os.getpid(),
        pool_pids=sorted({c.pid for c in chunks}),
        batches=len(batches),
        chapters=len(chapters),
        descriptions=len(analysis.descriptions),
        characters=len(analysis.characters),
        seconds=round(time.perf_counter() - started, 4),
        created_at=datetime.now(UTC),
    )
    await replace_analysis(book, analysis, run)
    await pipeline.transition(ctx, book, "ready", progress=1.0, allowed_from=("analyzing",))
    from bookreader.domain.illustrations.ahead import pregenerate

    await pregenerate(book.id, settings=settings, queue=ctx["redis"])  # placeholder pictures for chapter 1
    return f"ready: {len(analysis.descriptions)} descriptions, {len(analysis.characters)} characters"


async def _run_batches(
    ctx: dict[str, Any],
    book: Book,
    batches: list[list[ChapterText]],
    language: str,
    model: str | None,
    total: int,
) -> list[ChunkAnalysis]:
    loop = asyncio.get_running_loop()
    pool = ctx["process_pool"]
    pending = {
        loop.run_in_executor(pool, functools.partial(nlp.analyze_chunk, batch, language, model)): index
        for index, batch in enumerate(batches)
    }
    results: list[ChunkAnalysis | None] = [None] * len(batches)
    done_chapters = total - sum(len(b) for b in batches)  # front matter counts as done
    try:
        while pending:
            finished, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                results[index] = future.result()
                done_chapters += len(batches[index])
            if pending:  # the final 1.0 comes with the `ready` transition
                await pipeline.report_progress(ctx, book, done_chapters / max(total, 1))
    finally:
        for future in pending:
            future.cancel()
    return [r for r in results if r is not None]


async def replace_analysis(book: Book, analysis: BookAnalysis, run: NlpRun) -> None:
    descriptions = [
        Description(
            book=book.id,
            chapter=d.chapter,
            type=d.type,
            text=d.text,
            start=d.start,
            end=d.end,
            confidence=d.confidence,
            priority=d.priority,
            entities=d.entities,
        )
        for d in analysis.descriptions
    ]
    characters = [
        Character(
            book=book.id,
            name=c.name,
            aliases=c.aliases,
            mention_count=c.mention_count,
            first_chapter=c.first_chapter,
            appearance=[
                {"chapter": q.chapter, "start": q.start, "end": q.end, "text": q.text} for q in c.appearance
            ],
        )
        for c in analysis.characters
    ]
    async with Book._meta.db.transaction():
        await Description.delete().where(Description.book == book.id)
        await Character.delete().where(Character.book == book.id)
        await NlpRun.delete().where(NlpRun.book == book.id)
        for start in range(0, len(descriptions), INSERT_BATCH):
            await Description.insert(*descriptions[start : start + INSERT_BATCH])
        for start in range(0, len(characters), INSERT_BATCH):
            await Character.insert(*characters[start : start + INSERT_BATCH])
        await NlpRun.insert(run)


FUNCTIONS = [analyze_book]
