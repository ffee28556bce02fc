"""ARQ stage `analyze_book`: chapters → descriptions and characters, in the worker's process pool.

Chapters go to the pool in size-balanced batches (`nlp.analyze_chunk`), so both processes work and the
event loop only waits; each finished batch publishes `book.status` progress. The book-level character
merge (`nlp.merge_chunks`) is cheap and runs here. Output rows are replaced in one transaction, so a
re-run (retry, recovery cron) replaces rather than doubles.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import time
import uuid
from datetime import UTC, datetime

import msgspec

from bookreader import nlp
from bookreader.core.jobs import JobContext
from bookreader.core.queue import JobPayload
from bookreader.domain.books import pipeline
from bookreader.domain.books.jobs import AnalyzeBook
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.descriptions import judging
from bookreader.domain.descriptions.tables import Character, CharacterMention, Description, NlpRun
from bookreader.domain.illustrations.ahead import pregenerate
from bookreader.domain.illustrations.portraits import queue_portraits_ahead
from bookreader.nlp import BookAnalysis, ChapterText, ChunkAnalysis, FoundCharacter, FoundDescription

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
    analysis, run = await _analyse(ctx, book, progress=True)
    await replace_analysis(book, analysis, run)
    await pipeline.transition(ctx, book, "ready", progress=1.0, allowed_from=("analyzing",))
    await pregenerate(
        book.id, settings=ctx["settings"], queue=ctx["redis"]
    )  # placeholder pictures, chapter 1
    await queue_portraits_ahead(book.id, settings=ctx["settings"], queue=ctx["redis"])  # the main cast
    return f"ready: {len(analysis.descriptions)} descriptions, {len(analysis.characters)} characters"


async def reanalyze_book(ctx: JobContext, raw: dict) -> str:
    """The book stays `ready` (readers keep reading); passages that survive keep their rows and pictures."""
    job = ReanalyzeBook.load(raw)
    book = await Book.objects().output(load_json=True).where(Book.id == uuid.UUID(job.book_id)).first()
    if book is None or book.status != "ready":
        return "skipped"  # deleted, or in the pipeline (whose analysis is the shipped model's anyway)
    run = await NlpRun.select(NlpRun.id).where(NlpRun.book == book.id).first()
    if str(run["id"] if run else "") != job.replaces_run:
        return "skipped: analysed again since the request"  # a duplicate or retried delivery
    analysis, run = await _analyse(ctx, book, progress=False)
    kept, added, dropped = await replace_analysis(book, analysis, run)
    await queue_portraits_ahead(book.id, settings=ctx["settings"], queue=ctx["redis"])
    return f"reanalysed with {analysis.model_version}: {kept} kept, {added} added, {dropped} dropped"


async def _analyse(ctx: JobContext, book: Book, *, progress: bool) -> tuple[BookAnalysis, NlpRun]:
    started = time.perf_counter()
    chapters = await load_chapters(book.id)
    language = nlp.detect_book_language(chapters, book.language)
    settings = ctx["settings"]
    model = {"en": settings.nlp_model_en, "ru": settings.nlp_model_ru}.get(language)
    batches = chapter_batches(chapters, settings.process_pool_size)
    chunks = await _run_batches(
        ctx, book if progress else None, batches, language, model, total=len(chapters)
    )
    # ~60 ms for a 1 MB novel: in a thread, so the API sharing this event loop keeps answering meanwhile
    analysis: BookAnalysis = await asyncio.to_thread(nlp.merge_chunks, chunks, language)
    if judging.enabled(settings):  # I/O on this loop, after the pure pool work
        analysis.descriptions, report = await judging.judge(
            ctx["http"], ctx["redis"], settings, chapters, analysis.descriptions
        )
        log.info("LLM judge for book %s: %s", book.id, msgspec.to_builtins(report))
    run = NlpRun(
        book=book.id,
        language=analysis.language,
        loop_pid=os.getpid(),
        pool_pids=sorted({c.pid for c in chunks}),
        batches=len(batches),
        chapters=len(chapters),
        descriptions=len(analysis.descriptions),
        characters=len(analysis.characters),  # places are stored beside them with kind='place'
        seconds=round(time.perf_counter() - started, 4),
        model_version=analysis.model_version,
        created_at=datetime.now(UTC),
    )
    return analysis, run


async def _run_batches(
    ctx: JobContext,
    book: Book | None,  # None: no progress events (re-analysis of a ready book)
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
            if pending and book is not None:  # the final 1.0 comes with the `ready` transition
                await pipeline.report_progress(ctx, book, done_chapters / max(total, 1))
    finally:
        for future in pending:
            future.cancel()
    return [r for r in results if r is not None]


async def replace_analysis(book: Book, analysis: BookAnalysis, run: NlpRun) -> tuple[int, int, int]:
    """Make the book's rows the analysis', in one transaction; (kept, added, dropped) descriptions.

    A description that survives — same chapter and offsets, or the same chapter and text — keeps its row
    id, so pictures already made for it (images.description, ON DELETE CASCADE) stay linked; only
    passages the new analysis no longer finds are deleted. Running it twice changes nothing."""
    existing = await Description.select(
        Description.id, Description.chapter, Description.start, Description.end, Description.text
    ).where(Description.book == book.id)
    by_span = {(r["chapter"], r["start"], r["end"]): r["id"] for r in existing}
    by_text = {(r["chapter"], _text_key(r["text"])): r["id"] for r in existing}
    updates: list[tuple[uuid.UUID, FoundDescription]] = []
    inserts: list[Description] = []
    claimed: set[uuid.UUID] = set()
    for d in analysis.descriptions:
        row_id = by_span.get((d.chapter, d.start, d.end)) or by_text.get((d.chapter, _text_key(d.text)))
        if row_id is not None and row_id not in claimed:
            claimed.add(row_id)
            updates.append((row_id, d))
        else:
            inserts.append(_description_row(book.id, d))
    dropped = [r["id"] for r in existing if r["id"] not in claimed]
    known = await Character.select(Character.id, Character.name).where(Character.book == book.id)
    ids = {r["name"]: r["id"] for r in known}  # a character keeps its id (and so its portraits) across runs
    known_ids = set(ids.values())
    found = (*analysis.characters, *analysis.places)
    characters = [_character_row(book.id, c, ids.get(c.name)) for c in found]
    gone = [r["id"] for r in known if r["name"] not in {c.name for c in found}]
    mentions = [(row.id, m) for row, c in zip(characters, found, strict=True) for m in c.mentions]
    async with Book._meta.db.transaction():
        for start in range(0, len(dropped), INSERT_BATCH):
            await Description.delete().where(Description.id.is_in(dropped[start : start + INSERT_BATCH]))
        if updates:
            await _update_descriptions(updates)
        await CharacterMention.delete().where(CharacterMention.book == book.id)
        for start in range(0, len(gone), INSERT_BATCH):
            await Character.delete().where(Character.id.is_in(gone[start : start + INSERT_BATCH]))
        for row in characters:
            if row.id in known_ids:
                await Character.update(_character_values(row)).where(Character.id == row.id)
        await NlpRun.delete().where(NlpRun.book == book.id)
        for start in range(0, len(inserts), INSERT_BATCH):
            await Description.insert(*inserts[start : start + INSERT_BATCH])
        new = [row for row in characters if row.id not in known_ids]
        for start in range(0, len(new), INSERT_BATCH):
            await Character.insert(*new[start : start + INSERT_BATCH])
        for start in range(0, len(mentions), MENTION_BATCH):
            batch = mentions[start : start + MENTION_BATCH]
            await CharacterMention.raw(
                INSERT_MENTIONS,
                book.id,
                [cid for cid, _ in batch],
                [m.alias for _, m in batch],
                [m.chapter for _, m in batch],
                [m.offset for _, m in batch],
            )
        await NlpRun.insert(run)
    return len(updates), len(inserts), len(dropped)


def _text_key(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def _description_row(book_id: uuid.UUID, d: FoundDescription) -> Description:
    return Description(
        book=book_id,
        chapter=d.chapter,
        type=d.type,
        text=d.text,
        start=d.start,
        end=d.end,
        confidence=d.confidence,
        priority=d.priority,
        entities=d.entities,
        summary=d.summary,
    )


async def _update_descriptions(updates: list[tuple[uuid.UUID, FoundDescription]]) -> None:
    """One UPDATE … FROM unnest(…) per batch: the surviving rows take the new type, offsets and scores."""
    for start in range(0, len(updates), INSERT_BATCH):
        part = updates[start : start + INSERT_BATCH]
        columns = list(zip(*((row_id, d.type, d.text, d.start, d.end, d.confidence, d.priority,
                               msgspec.json.encode(d.entities).decode(), d.summary) for row_id, d in part), strict=True))  # fmt: skip
        await Description.raw(
            """UPDATE descriptions AS d SET type = u.type, text = u.text, start = u.start, "end" = u."end",
                      confidence = u.confidence, priority = u.priority, entities = u.entities::jsonb,
                      summary = u.summary
               FROM unnest({}::uuid[], {}::text[], {}::text[], {}::int[], {}::int[], {}::float8[],
                           {}::float8[], {}::text[], {}::text[]) AS u(id, type, text, start, "end", confidence,
                           priority, entities, summary)
               WHERE d.id = u.id""",
            *[list(c) for c in columns],
        )


def _character_row(book_id: uuid.UUID, c: FoundCharacter, known: uuid.UUID | None) -> Character:
    return Character(
        id=known or uuid.uuid4(),
        book=book_id,
        name=c.name,
        aliases=c.aliases,
        mention_count=c.mention_count,
        first_chapter=c.first_chapter,
        appearance=[
            {"chapter": q.chapter, "start": q.start, "end": q.end, "text": q.text} for q in c.appearance
        ],
        kind=c.kind,
    )


def _character_values(row: Character) -> dict:
    columns = (Character.name, Character.aliases, Character.mention_count, Character.first_chapter)
    values = {column: getattr(row, column._meta.name) for column in columns}
    values[Character.appearance] = row.appearance
    values[Character.kind] = row.kind
    return values


# One round trip per batch of mentions (a long novel has tens of thousands).
INSERT_MENTIONS = """
INSERT INTO character_mentions (book, character, alias, chapter, char_offset)
SELECT {}, * FROM unnest({}::uuid[], {}::text[], {}::integer[], {}::integer[])
"""
MENTION_BATCH = 20_000


FUNCTIONS = [analyze_book, reanalyze_book]
