"""The parse stage as it runs inside the worker's process pool: the child reads the file, parses it, writes
the book's files and then its rows (chapters, metadata, search passages) to Postgres itself, in one
transaction — so only a small `ParseSummary` crosses back to the event loop the API shares, not the parsed
book (unpickling ~10 MB of chapters held that process' GIL, and so readers' requests, for 10–30 ms).

A re-run replaces the rows (DELETE + COPY in the same transaction); a failure midway rolls all of it back,
so a book never has half its chapters."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import msgspec

from bookreader.core import db
from bookreader.core.storage import Storage
from bookreader.domain.books.files import store_parsed_files
from bookreader.domain.search.indexing import index_book_on
from bookreader.ingest import IngestLimits, ParsedBook, parse_book


def parse_file(path: str, limits: IngestLimits, asset_base_url: str) -> ParsedBook:
    return parse_book(Path(path).read_bytes(), limits=limits, asset_base_url=asset_base_url)


class ParseSummary(msgspec.Struct, frozen=True):
    """What the parse stage's child reports back: counts, no content."""

    chapters: int
    words: int
    has_cover: bool


def parse_and_store(
    path: str,
    limits: IngestLimits,
    asset_base_url: str,
    dsn: str,
    storage_root: str,
    book_id: str,
    title: str,
) -> ParseSummary:
    """Parse the file at `path`, store its files under `storage_root`, and write the book's rows: all in the
    calling (pool) process. `title` is the book's title for a file that declares none."""
    parsed = parse_file(path, limits, asset_base_url)
    store_parsed_files(Storage(Path(storage_root)), uuid.UUID(book_id), parsed)
    return write_parsed(dsn, uuid.UUID(book_id), parsed, title)


def write_parsed(dsn: str, book_id: uuid.UUID, parsed: ParsedBook, title: str) -> ParseSummary:
    """The book's chapters, metadata and search passages from `parsed`, on a connection of this process."""
    return asyncio.run(_write_parsed(dsn, book_id, parsed, title))


async def _write_parsed(dsn: str, book_id: uuid.UUID, parsed: ParsedBook, title: str) -> ParseSummary:
    connection = await db.connect_at_our_priority(dsn)
    try:
        async with connection.transaction():
            await replace_chapters(connection, book_id, parsed, title)
            await index_book_on(
                connection, book_id
            )  # full-text passages, in the book language's configuration
    finally:
        await connection.close()
    return ParseSummary(len(parsed.chapters), parsed.word_count, parsed.cover is not None)


CHAPTER_COLUMNS = (
    "book", "number", "title", "level", "html", "text", "paragraphs", "sources", "word_count", "is_front_matter",
)  # fmt: skip
_json = msgspec.json.Encoder()


async def replace_chapters(
    connection: asyncpg.Connection, book_id: uuid.UUID, parsed: ParsedBook, title: str
) -> None:
    """The book's chapters and metadata become `parsed`'s (plain tuples and COPY), in the caller's transaction."""
    rows = [
        (book_id, chapter.number, chapter.title[:1000], chapter.level, chapter.html, chapter.text,
         _json.encode(chapter.paragraphs).decode(), _json.encode(chapter.sources).decode(), chapter.word_count,
         chapter.is_front_matter)
        for chapter in parsed.chapters
    ]  # fmt: skip
    metadata = {
        "series": parsed.series,
        "series_index": parsed.series_index,
        "annotation": parsed.annotation,
        "publisher": parsed.publisher,
        "year": parsed.year,
        "identifiers": parsed.identifiers,
        "subjects": parsed.subjects,
    }
    await connection.execute("DELETE FROM chapters WHERE book = $1", book_id)
    await connection.copy_records_to_table("chapters", records=rows, columns=CHAPTER_COLUMNS)
    await connection.execute(
        "UPDATE books SET title = $2, authors = $3, language = $4, format = $5, chapter_count = $6, "
        "word_count = $7, has_cover = $8, metadata = $9, start_chapter = $10, error_code = NULL, "
        "error_message = NULL "
        "WHERE id = $1",
        book_id, parsed.title or title, _json.encode(parsed.authors).decode(), parsed.language,
        parsed.format, len(rows), parsed.word_count, parsed.cover is not None, _json.encode(metadata).decode(),
        parsed.start_chapter,
    )  # fmt: skip
