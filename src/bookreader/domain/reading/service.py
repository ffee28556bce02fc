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

from arq.connections import ArqRedis

from bookreader.core.errors import NotFound
from bookreader.domain.accounts.tables import User
from bookreader.domain.illustrations.ahead import illustrate_ahead
from bookreader.domain.reading.locate import OwnedBook, locate, owned_book
from bookreader.domain.reading.schemas import ProgressRead, ProgressWrite
from bookreader.domain.reading.tables import ReadingPosition
from bookreader.settings import Settings

log = logging.getLogger(__name__)

UPSERT_POSITION = """
WITH previous AS (
    SELECT chapter FROM reading_positions WHERE owner = {} AND book = {}
), upserted AS (
    INSERT INTO reading_positions AS stored (owner, book, chapter, char_offset, percentage, device, updated_at)
    VALUES ({}, {}, {}, {}, {}, {}, {})
    ON CONFLICT (owner, book) DO UPDATE SET
        chapter = excluded.chapter, char_offset = excluded.char_offset, percentage = excluded.percentage,
        device = excluded.device, updated_at = excluded.updated_at, received_at = now()
    WHERE stored.updated_at <= excluded.updated_at
    RETURNING 1
), logged AS (
    INSERT INTO position_writes (owner, book, chapter, char_offset, percentage, device, client_time, accepted)
    SELECT {}::uuid, {}::uuid, {}::integer, {}::integer, {}::double precision, {}::varchar, {}::timestamptz,
           EXISTS (SELECT 1 FROM upserted)
)
SELECT EXISTS (SELECT 1 FROM upserted) AS accepted, (SELECT chapter FROM previous) AS previous_chapter
"""


def _client_time(value: datetime | None, now: datetime) -> datetime:
    """The client's time of reading; naive means UTC, and a clock ahead of ours counts as now (else one
    device with a fast clock would pin the position for everyone)."""
    if value is None:
        return now
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return min(value, now)


async def write_progress(
    user: User, book_id: uuid.UUID, data: ProgressWrite, *, settings: Settings, queue: ArqRedis
) -> ProgressRead:
    book = await owned_book(user, book_id)
    location = await locate(book.id, data.chapter)
    offset = location.clamp(data.offset)
    client_time = _client_time(data.updated_at, datetime.now(UTC))
    device = (data.device or "").strip()[:100]
    values = (user.id, book.id, data.chapter, offset, data.percentage, device, client_time)
    [outcome] = await ReadingPosition.raw(UPSERT_POSITION, user.id, book.id, *values, *values)
    if outcome["accepted"] and outcome["previous_chapter"] != data.chapter:
        await on_position_moved(user, book, data.chapter, settings=settings, queue=queue)
    if outcome[
        "accepted"
    ]:  # what this write stored (a newer write may follow it; that one answers for itself)
        return ProgressRead(
            book_id=book.id, chapter=data.chapter, offset=offset, percentage=data.percentage, device=device,
            updated_at=client_time,
        )  # fmt: skip
    current = await _current(user.id, book.id)
    assert current is not None  # refused only because a newer position is stored
    current.accepted = False
    return current


async def get_progress(user: User, book_id: uuid.UUID) -> ProgressRead:
    book = await owned_book(user, book_id)
    current = await _current(user.id, book.id)
    if current is None:
        raise NotFound("No reading position for this book yet.", code="progress_not_found")
    return current


FURTHEST = """
SELECT chapter, char_offset FROM position_writes WHERE owner = {} AND book = {}
ORDER BY chapter DESC, char_offset DESC LIMIT 1
"""


async def furthest_position(owner: uuid.UUID, book_id: uuid.UUID) -> tuple[int, int] | None:
    """The furthest (chapter, offset) this reader has been in the book on any device, or None if never opened.

    Every write counts, accepted or not: a stale write from another device still means the reader read that
    far (the cast and other spoiler-safe views are cut here, not at the current page after a jump back)."""
    rows = await ReadingPosition.raw(FURTHEST, owner, book_id)
    return (rows[0]["chapter"], rows[0]["char_offset"]) if rows else None


async def _current(owner: uuid.UUID, book_id: uuid.UUID) -> ProgressRead | None:
    row = (
        await ReadingPosition.select()
        .where(ReadingPosition.owner == owner, ReadingPosition.book == book_id)
        .first()
    )
    if row is None:
        return None
    return ProgressRead(
        book_id=book_id,
        chapter=row["chapter"],
        offset=row["char_offset"],
        percentage=row["percentage"],
        device=row["device"],
        updated_at=row["updated_at"],
    )


async def on_position_moved(
    user: User, book: OwnedBook, chapter: int, *, settings: Settings, queue: ArqRedis
) -> None:
    """A reader entered `chapter` (first position, or another chapter than before): illustrate ahead of them.
    Never fails the position write that triggered it."""
    try:
        await illustrate_ahead(user.id, book.id, chapter, settings=settings, queue=queue)
    except Exception:
        log.exception("illustrate-ahead for book %s chapter %d failed", book.id, chapter)
