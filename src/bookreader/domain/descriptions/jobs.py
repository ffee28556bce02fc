"""ARQ stage `analyze_book`: chapters → descriptions and characters, in the worker's process pool.

Chapters go to the pool in size-balanced batches (`nlp.analyze_chunk`), so both processes work and the
event loop only waits; each finished batch publishes `book.status` progress. The book-level character
merge (`nlp.merge_chunks`) runs in the pool too. Output rows are replaced in one transaction, so a
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
from bookreader.core import db
from bookreader.core.jobs import JobContext
from bookreader.core.procpool import run_in_pool
from bookreader.core.queue import JobPayload
from bookreader.domain.books import pipeline
from bookreader.domain.books.jobs import AnalyzeBook
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions import judging
from bookreader.domain.descriptions.tables import NlpRun
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


LOAD_CHAPTERS = """
SELECT number, text, paragraphs::text AS paragraphs, is_front_matter FROM chapters WHERE book = $1 ORDER BY number
"""
_paragraphs = msgspec.json.Decoder(list[tuple[int, int]])


async def load_chapters(book_id: uuid.UUID) -> list[ChapterText]:
    """Raw rows, paragraphs decoded by msgspec: no ORM rows (nor a json.loads per chapter) on the loop."""
    rows = await db.fetch(LOAD_CHAPTERS, book_id)
    return [
        ChapterText(
            number=row["number"],
            text=row["text"],
            paragraphs=_paragraphs.decode(row["paragraphs"] or "[]"),
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
    # ~60 ms for a 1 MB novel, pure Python: in the pool (a thread would hold the GIL the API's loop needs)
    analysis: BookAnalysis = await run_in_pool(ctx["process_pool"], nlp.merge_chunks, chunks, language)
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
    passages the new analysis no longer finds are deleted. Running it twice changes nothing. Rows go in
    as plain tuples (COPY, unnest): no ORM objects built on the event loop the API may share."""
    async with db.transaction() as connection:
        existing = await connection.fetch(
            'SELECT id, chapter, start, "end", text FROM descriptions WHERE book = $1', book.id
        )
        by_span = {(r["chapter"], r["start"], r["end"]): r["id"] for r in existing}
        by_text = {(r["chapter"], _text_key(r["text"])): r["id"] for r in existing}
        updates: list[tuple[uuid.UUID, FoundDescription]] = []
        inserts: list[tuple[object, ...]] = []
        claimed: set[uuid.UUID] = set()
        for d in analysis.descriptions:
            row_id = by_span.get((d.chapter, d.start, d.end)) or by_text.get((d.chapter, _text_key(d.text)))
            if row_id is not None and row_id not in claimed:
                claimed.add(row_id)
                updates.append((row_id, d))
            else:
                inserts.append(_description_row(book.id, d))
        dropped = [r["id"] for r in existing if r["id"] not in claimed]
        known = await connection.fetch("SELECT id, name FROM characters WHERE book = $1", book.id)
        ids = {
            r["name"]: r["id"] for r in known
        }  # a character keeps its id (and so its portraits) across runs
        found = (*analysis.characters, *analysis.places)
        characters = [_character_row(book.id, c, ids.get(c.name)) for c in found]
        gone = [r["id"] for r in known if r["name"] not in {c.name for c in found}]
        mentions = [(book.id, row[0], m.alias, m.chapter, m.offset)
                    for row, c in zip(characters, found, strict=True) for m in c.mentions]  # fmt: skip
        await asyncio.sleep(0)  # the rows of a long novel took a while: let the API answer in between
        await connection.execute("DELETE FROM descriptions WHERE id = ANY($1::uuid[])", dropped)
        await _update_descriptions(connection, updates)
        await connection.execute("DELETE FROM character_mentions WHERE book = $1", book.id)
        await connection.execute("DELETE FROM characters WHERE id = ANY($1::uuid[])", gone)
        known_ids = set(ids.values())
        await _update_characters(connection, [row for row in characters if row[0] in known_ids])
        await connection.execute("DELETE FROM nlp_runs WHERE book = $1", book.id)
        await connection.copy_records_to_table("descriptions", records=inserts, columns=DESCRIPTION_COLUMNS)
        new = [row for row in characters if row[0] not in known_ids]
        await connection.copy_records_to_table("characters", records=new, columns=CHARACTER_COLUMNS)
        await connection.copy_records_to_table(
            "character_mentions", records=mentions, columns=MENTION_COLUMNS
        )
        await connection.execute(INSERT_RUN, *_run_values(run))
    return len(updates), len(inserts), len(dropped)


def _text_key(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


DESCRIPTION_COLUMNS = (
    "id", "book", "chapter", "type", "text", "start", "end", "confidence", "priority", "entities", "summary",
)  # fmt: skip
CHARACTER_COLUMNS = ("id", "book", "name", "aliases", "mention_count", "first_chapter", "appearance", "kind")
MENTION_COLUMNS = ("book", "character", "alias", "chapter", "char_offset")
_json = msgspec.json.Encoder()


def _description_row(book_id: uuid.UUID, d: FoundDescription) -> tuple[object, ...]:
    return (uuid.uuid4(), book_id, d.chapter, d.type, d.text, d.start, d.end, d.confidence, d.priority,
            _json.encode(d.entities).decode(), d.summary)  # fmt: skip


async def _update_descriptions(connection, updates: list[tuple[uuid.UUID, FoundDescription]]) -> None:
    """One UPDATE … FROM unnest(…) per batch: the surviving rows take the new type, offsets and scores."""
    for start in range(0, len(updates), INSERT_BATCH):
        part = updates[start : start + INSERT_BATCH]
        columns = list(zip(*((row_id, d.type, d.text, d.start, d.end, d.confidence, d.priority,
                               _json.encode(d.entities).decode(), d.summary) for row_id, d in part), strict=True))  # fmt: skip
        await connection.execute(
            """UPDATE descriptions AS d SET type = u.type, text = u.text, start = u.start, "end" = u."end",
                      confidence = u.confidence, priority = u.priority, entities = u.entities::jsonb,
                      summary = u.summary
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::float8[],
                           $7::float8[], $8::text[], $9::text[]) AS u(id, type, text, start, "end", confidence,
                           priority, entities, summary)
               WHERE d.id = u.id""",
            *[list(c) for c in columns],
        )


def _character_row(book_id: uuid.UUID, c: FoundCharacter, known: uuid.UUID | None) -> tuple[object, ...]:
    """A `characters` row in `CHARACTER_COLUMNS` order (its id first)."""
    appearance = [
        {"chapter": q.chapter, "start": q.start, "end": q.end, "text": q.text} for q in c.appearance
    ]
    return (known or uuid.uuid4(), book_id, c.name, _json.encode(c.aliases).decode(), c.mention_count,
            c.first_chapter, _json.encode(appearance).decode(), c.kind)  # fmt: skip


async def _update_characters(connection, rows: list[tuple[object, ...]]) -> None:
    """The characters found again keep their ids and take the new names, counts and quotes."""
    for start in range(0, len(rows), INSERT_BATCH):
        columns = list(zip(*rows[start : start + INSERT_BATCH], strict=True))
        await connection.execute(
            """UPDATE characters AS c SET name = u.name, aliases = u.aliases::jsonb,
                      mention_count = u.mention_count, first_chapter = u.first_chapter,
                      appearance = u.appearance::jsonb, kind = u.kind
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[])
                    AS u(id, name, aliases, mention_count, first_chapter, appearance, kind)
               WHERE c.id = u.id""",
            *[list(columns[i]) for i in (0, 2, 3, 4, 5, 6, 7)],
        )


INSERT_RUN = """
INSERT INTO nlp_runs (id, book, language, loop_pid, pool_pids, batches, chapters, descriptions, characters,
                      seconds, model_version, created_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12)
"""


def _run_values(run: NlpRun) -> tuple[object, ...]:
    return (run.id, run.book, run.language, run.loop_pid, _json.encode(run.pool_pids).decode(), run.batches,
            run.chapters, run.descriptions, run.characters, run.seconds, run.model_version, run.created_at)  # fmt: skip


FUNCTIONS = [analyze_book, reanalyze_book]
