"""Reading position: one current position per user and book, moved only by writes that are not older.

The "not older" rule is one SQL statement (INSERT … ON CONFLICT DO UPDATE … WHERE stored <= incoming), so two
devices racing cannot move a reader back; every write, accepted or not, is kept in `position_writes`.
Offsets past the chapter's end are clamped to its length (a client's rendering may count a few characters
more than the stored text); a negative offset, an unknown chapter or a percentage outside 0..100 is refused.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import asyncpg
import msgspec
from arq.connections import ArqRedis

from bookreader.core import db
from bookreader.core.auth import inactive_account
from bookreader.core.errors import NotFound
from bookreader.domain.illustrations.ahead import illustrate_ahead
from bookreader.domain.reading.locate import OwnedBook, cached_location, locate
from bookreader.domain.reading.schemas import ProgressRead, ProgressWrite
from bookreader.settings import Settings

log = logging.getLogger(__name__)

# One round trip for a position write (a known chapter): the ownership check, the "not older" upsert, the
# history row and what the caller needs to answer, all in one statement. `owned` gates both inserts, so
# another user's book writes nothing. Every sub-statement sees the snapshot from before the write: `stored`
# is the position a refused write lost to (re-read when a concurrent write changed it since).
# `durability` sets this transaction's `synchronous_commit` ($8, `sync_commit_mode`): the statement is its own
# transaction, so the setting ends with it and no other write is affected; the answer reads it back.
# $1 owner, $2 book, $3 chapter, $4 offset, $5 percentage, $6 device, $7 client time, $8 'on' | 'off'
WRITE_POSITION = """
WITH durability AS (
    SELECT set_config('synchronous_commit', $8, true) AS mode
), owned AS (
    SELECT b.id, b.title, b.authors::text AS authors
    FROM books b JOIN users u ON u.id = b.owner AND NOT u.disabled WHERE b.id = $2 AND b.owner = $1
), stored AS (
    SELECT chapter, char_offset, percentage, device, updated_at
    FROM reading_positions WHERE owner = $1 AND book = $2
), upserted AS (
    INSERT INTO reading_positions AS stored (owner, book, chapter, char_offset, percentage, device, updated_at)
    SELECT $1::uuid, id, $3::integer, $4::integer, $5::double precision, $6::varchar, $7::timestamptz FROM owned
    ON CONFLICT (owner, book) DO UPDATE SET
        chapter = excluded.chapter, char_offset = excluded.char_offset, percentage = excluded.percentage,
        device = excluded.device, updated_at = excluded.updated_at, received_at = now()
    WHERE stored.updated_at <= excluded.updated_at
    RETURNING 1
), logged AS (
    INSERT INTO position_writes (owner, book, chapter, char_offset, percentage, device, client_time, accepted)
    SELECT $1::uuid, id, $3::integer, $4::integer, $5::double precision, $6::varchar, $7::timestamptz,
           EXISTS (SELECT 1 FROM upserted)
    FROM owned
)
SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND NOT disabled) AS active, o.id IS NOT NULL AS owned,
       o.title, o.authors, EXISTS (SELECT 1 FROM upserted) AS accepted,
       s.chapter, s.char_offset, s.percentage, s.device, s.updated_at,
       current_setting('synchronous_commit') AS sync_commit
FROM durability d LEFT JOIN owned o ON true LEFT JOIN stored s ON o.id IS NOT NULL
"""
# the caller's account (active, else no row), book (NULL when not theirs) and position, if any
READ_POSITION = """
SELECT b.id AS book, p.chapter, p.char_offset, p.percentage, p.device, p.updated_at
FROM users u LEFT JOIN books b ON b.id = $2 AND b.owner = u.id
LEFT JOIN reading_positions p ON p.owner = u.id AND p.book = b.id
WHERE u.id = $1 AND NOT u.disabled
"""
# the cache-miss path of a write: the account and the ownership before the chapter is measured
OWNED_BOOK = """
SELECT b.id FROM users u LEFT JOIN books b ON b.id = $2 AND b.owner = u.id WHERE u.id = $1 AND NOT u.disabled
"""
CURRENT_POSITION = """
SELECT chapter, char_offset, percentage, device, updated_at FROM reading_positions WHERE owner = $1 AND book = $2
"""


class WriteOutcome(msgspec.Struct):
    """What `WRITE_POSITION` answers: the book (for the illustrate-ahead trigger), whether this write moved the
    position, and the position stored before it (its chapter tells whether the reader changed chapters)."""

    active: bool
    owned: bool
    title: str | None
    authors: str | None  # JSON array as text
    accepted: bool
    chapter: int | None
    char_offset: int | None
    percentage: float | None
    device: str | None
    updated_at: datetime | None
    sync_commit: str  # this write's transaction's `synchronous_commit`, as Postgres applied it


class StoredPosition(msgspec.Struct):
    chapter: int | None
    char_offset: int | None
    percentage: float | None
    device: str | None
    updated_at: datetime | None

    def read(self, book_id: uuid.UUID, *, accepted: bool = True) -> ProgressRead | None:
        if self.chapter is None:
            return None
        return ProgressRead(
            book_id=book_id, chapter=self.chapter, offset=self.char_offset or 0,
            percentage=self.percentage or 0.0, device=self.device or "", updated_at=self.updated_at,
            accepted=accepted,
        )  # fmt: skip


def _client_time(value: datetime | None, now: datetime) -> datetime:
    """The client's time of reading; naive means UTC, and a clock ahead of ours counts as now (else one
    device with a fast clock would pin the position for everyone)."""
    if value is None:
        return now
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return min(value, now)


def sync_commit_mode(settings: Settings) -> str:
    """`synchronous_commit` for a position write. Off by default: a reading position is rewritten at every
    page turn, so a Postgres crash that loses the last fraction of a second of acknowledged positions
    (`wal_writer_delay`, 3× at worst) costs a reader a page at most; the database stays consistent. Every
    other write keeps the server's setting."""
    return "on" if settings.progress_sync_commit else "off"


async def store_position(
    values: tuple, *, settings: Settings, connection: asyncpg.Connection | None = None
) -> WriteOutcome:
    """`WRITE_POSITION` for (owner, book, chapter, clamped offset, percentage, device, client time), on
    `connection` if given (else on any pooled one)."""
    args = (WRITE_POSITION, *values, sync_commit_mode(settings))
    row = await (db.fetchrow(*args) if connection is None else connection.fetchrow(*args))
    return msgspec.convert(dict(row), WriteOutcome)


def _check_owner(row, book_column: str) -> None:
    if row is None:
        raise inactive_account()
    if row[book_column] is None:
        raise NotFound("No such book.", code="book_not_found")


async def write_progress(
    user_id: uuid.UUID, book_id: uuid.UUID, data: ProgressWrite, *, settings: Settings, queue: ArqRedis
) -> ProgressRead:
    """The position write: one statement when this process has measured the chapter before."""
    location = cached_location(book_id, data.chapter)
    if location is None:  # first write into this chapter in this process: 404 before 422, as always
        _check_owner(await db.fetchrow(OWNED_BOOK, user_id, book_id), "id")
        location = await locate(book_id, data.chapter)
    offset = location.clamp(data.offset)
    client_time = _client_time(data.updated_at, datetime.now(UTC))
    device = (data.device or "").strip()[:100]
    values = (user_id, book_id, data.chapter, offset, data.percentage, device, client_time)
    stored: StoredPosition | None = None
    async with db.connection() as connection:  # a refused write's re-read does not queue for the pool again
        outcome = await store_position(values, settings=settings, connection=connection)
        lost_to = outcome.updated_at
        if outcome.owned and not outcome.accepted and (lost_to is None or lost_to <= client_time):
            stored = await _current(connection, user_id, book_id)  # a write newer than our snapshot won
    if not outcome.active:
        raise inactive_account()
    if not outcome.owned:
        raise NotFound("No such book.", code="book_not_found")
    if outcome.accepted and outcome.chapter != data.chapter:
        authors = [str(a) for a in msgspec.json.decode(outcome.authors or "[]") or []]
        book = OwnedBook(book_id, outcome.title or "", authors)
        await on_position_moved(user_id, book, data.chapter, settings=settings, queue=queue)
    if outcome.accepted:  # what this write stored (a newer write may follow it; that one answers for itself)
        return ProgressRead(
            book_id=book_id, chapter=data.chapter, offset=offset, percentage=data.percentage, device=device,
            updated_at=client_time,
        )  # fmt: skip
    if stored is None:  # the snapshot's position is the newer one this write lost to
        stored = StoredPosition(
            outcome.chapter, outcome.char_offset, outcome.percentage, outcome.device, outcome.updated_at
        )
    current = stored.read(book_id, accepted=False)
    assert current is not None  # refused only because a newer position is stored
    return current


async def get_progress(user_id: uuid.UUID, book_id: uuid.UUID) -> ProgressRead:
    row = await db.fetchrow(READ_POSITION, user_id, book_id)
    _check_owner(row, "book")
    row = dict(row)
    del row["book"]
    current = msgspec.convert(dict(row), StoredPosition).read(book_id)
    if current is None:
        raise NotFound("No reading position for this book yet.", code="progress_not_found")
    return current


FURTHEST = """
SELECT chapter, char_offset FROM position_writes WHERE owner = $1 AND book = $2
ORDER BY chapter DESC, char_offset DESC LIMIT 1
"""


async def furthest_position(owner: uuid.UUID, book_id: uuid.UUID) -> tuple[int, int] | None:
    """The furthest (chapter, offset) this reader has been in the book on any device, or None if never opened.

    Every write counts, accepted or not: a stale write from another device still means the reader read that
    far (the cast and other spoiler-safe views are cut here, not at the current page after a jump back)."""
    row = await db.fetchrow(FURTHEST, owner, book_id)
    return (row["chapter"], row["char_offset"]) if row else None


async def _current(connection: asyncpg.Connection, owner: uuid.UUID, book_id: uuid.UUID) -> StoredPosition:
    row = await connection.fetchrow(CURRENT_POSITION, owner, book_id)
    return (
        StoredPosition(None, None, None, None, None)
        if row is None
        else msgspec.convert(dict(row), StoredPosition)
    )


async def on_position_moved(
    user_id: uuid.UUID, book: OwnedBook, chapter: int, *, settings: Settings, queue: ArqRedis
) -> None:
    """A reader entered `chapter` (first position, or another chapter than before): illustrate ahead of them.
    Never fails the position write that triggered it."""
    try:
        await illustrate_ahead(user_id, book.id, chapter, settings=settings, queue=queue)
    except Exception:
        log.exception("illustrate-ahead for book %s chapter %d failed", book.id, chapter)
