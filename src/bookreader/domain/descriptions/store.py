"""The analysis stage's pool side: a batch's `ChunkAnalysis` goes back as msgpack bytes, and the merge of
all of them and the writing of the book's descriptions and characters run in a pool process too, on its own
connection, in one transaction.

Why: on the event loop the API shares, unpickling the chunks (~3.5 MB of small structs for a 5 MB novel) and
pickling them again for the merge held the GIL for tens of milliseconds, and building ~3k description rows
and their COPY stalled it as long; readers' requests waited behind each. Bytes cross the process boundary
as one copy, with no objects built on that loop. A re-run replaces the rows; a failure rolls all of it back.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from bookreader import nlp
from bookreader.core import db
from bookreader.nlp import BookAnalysis, ChapterText, ChunkAnalysis, FoundCharacter, FoundDescription

INSERT_BATCH = 1000


class RunInfo(msgspec.Struct, frozen=True):
    """How the caller ran the analysis, for its `nlp_runs` row (the counts come from the analysis)."""

    loop_pid: int  # the worker process running the event loop
    pool_pids: list[int]
    batches: int
    chapters: int
    started: float  # time.time() when the stage began


class Stored(msgspec.Struct, frozen=True):
    """What writing an analysis did: descriptions kept (same row, pictures stay), added, dropped."""

    kept: int
    added: int
    dropped: int
    descriptions: int
    characters: int
    model_version: str


_chunk = msgspec.msgpack.Decoder(ChunkAnalysis)
_analysis = msgspec.msgpack.Decoder(BookAnalysis)
_msgpack = msgspec.msgpack.Encoder()


LOAD_CHAPTERS = """
SELECT number, text, paragraphs::text AS paragraphs, is_front_matter FROM chapters
WHERE book = $1 AND ($2::int[] IS NULL OR number = ANY($2)) ORDER BY number
"""
_paragraphs = msgspec.json.Decoder(list[tuple[int, int]])


def chapter_text(row: Any) -> ChapterText:
    """A `LOAD_CHAPTERS` row as the NLP takes it (paragraphs decoded by msgspec)."""
    return ChapterText(
        number=row["number"],
        text=row["text"],
        paragraphs=_paragraphs.decode(row["paragraphs"] or "[]"),
        skip=row["is_front_matter"],
    )


def analyze_stored(
    dsn: str, book_id: str, numbers: list[int], language: str, model: str | None
) -> tuple[int, bytes]:
    """`analyze_batch` for the book's chapters `numbers`, read from Postgres by this (pool) process: the
    texts never pass through the event loop the API shares."""
    return analyze_batch(asyncio.run(_load_chapters(dsn, uuid.UUID(book_id), numbers)), language, model)


async def _load_chapters(dsn: str, book_id: uuid.UUID, numbers: list[int]) -> list[ChapterText]:
    connection = await db.connect_at_our_priority(dsn)
    try:
        return [chapter_text(row) for row in await connection.fetch(LOAD_CHAPTERS, book_id, numbers)]
    finally:
        await connection.close()


def analyze_batch(chapters: list[ChapterText], language: str, model: str | None) -> tuple[int, bytes]:
    """`nlp.analyze_chunk` for one batch: (this process' pid, the `ChunkAnalysis` as msgpack)."""
    return os.getpid(), _msgpack.encode(nlp.analyze_chunk(chapters, language, model))


def _merged(chunks: list[bytes], language: str) -> BookAnalysis:
    return nlp.merge_chunks([_chunk.decode(c) for c in chunks], language)


def merge(chunks: list[bytes], language: str) -> bytes:
    """`nlp.merge_chunks` over msgpack chunks: the `BookAnalysis` as msgpack."""
    return _msgpack.encode(_merged(chunks, language))


def decode_analysis(data: bytes) -> BookAnalysis:
    return _analysis.decode(data)


def encode_analysis(analysis: BookAnalysis) -> bytes:
    return _msgpack.encode(analysis)


def merge_and_store(dsn: str, book_id: str, chunks: list[bytes], language: str, run: RunInfo) -> Stored:
    """Merge the chunks and make the book's rows the result's."""
    return asyncio.run(_store(dsn, uuid.UUID(book_id), _merged(chunks, language), run))


def store(dsn: str, book_id: str, analysis: bytes, run: RunInfo) -> Stored:
    """Make the book's rows those of `analysis` (msgpack), on a connection of this process."""
    return asyncio.run(_store(dsn, uuid.UUID(book_id), _analysis.decode(analysis), run))


async def _store(dsn: str, book_id: uuid.UUID, analysis: BookAnalysis, run: RunInfo) -> Stored:
    connection = await db.connect_at_our_priority(dsn)
    try:
        async with connection.transaction():
            kept, added, dropped = await replace_analysis(connection, book_id, analysis, run)
    finally:
        await connection.close()
    return Stored(
        kept, added, dropped, len(analysis.descriptions), len(analysis.characters), analysis.model_version
    )


async def replace_analysis(
    connection: asyncpg.Connection, book_id: uuid.UUID, analysis: BookAnalysis, run: RunInfo
) -> tuple[int, int, int]:
    """Make the book's rows the analysis', in the caller's transaction; (kept, added, dropped) descriptions.

    A description that survives — same chapter and offsets, or the same chapter and text — keeps its row
    id, so pictures already made for it (images.description, ON DELETE CASCADE) stay linked; only
    passages the new analysis no longer finds are deleted. Running it twice changes nothing. Rows go in
    as plain tuples (COPY, unnest)."""
    existing = await connection.fetch(
        'SELECT id, chapter, start, "end", text FROM descriptions WHERE book = $1', book_id
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
            inserts.append(_description_row(book_id, d))
    dropped = [r["id"] for r in existing if r["id"] not in claimed]
    known = await connection.fetch("SELECT id, name FROM characters WHERE book = $1", book_id)
    ids = {r["name"]: r["id"] for r in known}  # a character keeps its id (and so its portraits) across runs
    found = (*analysis.characters, *analysis.places)
    characters = [_character_row(book_id, c, ids.get(c.name)) for c in found]
    gone = [r["id"] for r in known if r["name"] not in {c.name for c in found}]
    mentions = [(book_id, row[0], m.alias, m.chapter, m.offset)
                for row, c in zip(characters, found, strict=True) for m in c.mentions]  # fmt: skip
    await connection.execute("DELETE FROM descriptions WHERE id = ANY($1::uuid[])", dropped)
    await _update_descriptions(connection, updates)
    await connection.execute("DELETE FROM character_mentions WHERE book = $1", book_id)
    await connection.execute("DELETE FROM characters WHERE id = ANY($1::uuid[])", gone)
    known_ids = set(ids.values())
    await _update_characters(connection, [row for row in characters if row[0] in known_ids])
    await connection.execute("DELETE FROM nlp_runs WHERE book = $1", book_id)
    await connection.copy_records_to_table("descriptions", records=inserts, columns=DESCRIPTION_COLUMNS)
    new = [row for row in characters if row[0] not in known_ids]
    await connection.copy_records_to_table("characters", records=new, columns=CHARACTER_COLUMNS)
    await connection.copy_records_to_table("character_mentions", records=mentions, columns=MENTION_COLUMNS)
    await connection.execute(INSERT_RUN, *_run_values(book_id, run, analysis))
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


def _run_values(book_id: uuid.UUID, run: RunInfo, analysis: BookAnalysis) -> tuple[object, ...]:
    """An `nlp_runs` row: how the analysis ran (the caller's figures) and what it found."""
    seconds = round(max(0.0, time.time() - run.started), 4)
    return (uuid.uuid4(), book_id, analysis.language, run.loop_pid, _json.encode(run.pool_pids).decode(),
            run.batches, run.chapters, len(analysis.descriptions), len(analysis.characters), seconds,
            analysis.model_version, datetime.now(UTC))  # fmt: skip
