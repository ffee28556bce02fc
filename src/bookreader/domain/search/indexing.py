"""Building a book's search passages at ingest (called by the parse stage once chapters are stored)."""

from __future__ import annotations

import uuid

import asyncpg

CONFIG_CASE = (
    "(CASE WHEN b.language LIKE 'ru%' THEN 'russian' WHEN b.language LIKE 'en%' THEN 'english' "
    "ELSE 'simple' END)::regconfig"
)
INDEX_BOOK = f"""
INSERT INTO search_passages (book, owner, chapter, start, config, text)
SELECT c.book, b.owner, c.number, (p.value->>0)::int, {CONFIG_CASE},
       substr(c.text, (p.value->>0)::int + 1, (p.value->>1)::int - (p.value->>0)::int)
FROM chapters c JOIN books b ON b.id = c.book, jsonb_array_elements(c.paragraphs) p
WHERE c.book = {{}} AND (p.value->>1)::int > (p.value->>0)::int
UNION ALL
SELECT c.book, b.owner, c.number, 0, {CONFIG_CASE}, c.text
FROM chapters c JOIN books b ON b.id = c.book
WHERE c.book = {{}} AND jsonb_array_length(c.paragraphs) = 0 AND c.text <> ''
"""


async def index_book_on(connection: asyncpg.Connection, book_id: uuid.UUID) -> None:
    """(Re)build a book's passages from its stored chapters on the caller's connection, inside the caller's
    transaction (the parse stage's writer in the process pool: chapters and their passages commit together);
    idempotent."""
    await connection.execute("DELETE FROM search_passages WHERE book = $1", book_id)
    await connection.execute(INDEX_BOOK.format("$1", "$1"), book_id)
