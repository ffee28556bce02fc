"""Reading sessions: opened by the reader, kept alive by heartbeats, ended by the client or by idleness.

Time is the server's: each heartbeat credits the time since the last one, at most HEARTBEAT_CREDIT (a laptop
asleep between two beats is not reading). Words are the forward movement of the reported position through
the book's words (chapter word counts spread over the chapter's characters), at most MAX_WORDS_PER_MINUTE of
the credited time (a jump through the table of contents is not reading). Nothing the client claims is counted.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from typing import Any

from bookreader.core.db import get_engine
from bookreader.core.errors import Conflict, InvalidInput, NotFound
from bookreader.domain.accounts.tables import User
from bookreader.domain.reading.locate import locate, owned_book
from bookreader.domain.reading.schemas import SessionHeartbeat, SessionRead
from bookreader.domain.reading.tables import ReadingPosition, ReadingSession

IDLE_AFTER = timedelta(hours=2)  # a session without a heartbeat for this long is closed (cron job)
HEARTBEAT_CREDIT = timedelta(minutes=5)
MAX_WORDS_PER_MINUTE = 1000


def session_read(row: dict[str, Any]) -> SessionRead:
    return SessionRead(
        id=row["id"],
        book_id=row["book"],
        started_at=row["started_at"],
        last_seen_at=row["last_seen_at"],
        ended_at=row["ended_at"],
        end_reason=row["end_reason"],
        chapter=row["chapter"],
        offset=row["char_offset"],
        seconds=round(row["active_seconds"], 1),
        minutes=round(row["active_seconds"] / 60, 2),
        words_read=row["words_read"],
        active=row["ended_at"] is None,
    )


async def start_session(user: User, book_id: uuid.UUID) -> SessionRead:
    """A new session, starting where the reader's stored position is (if any)."""
    book = await owned_book(user, book_id)
    position = (
        await ReadingPosition.select(ReadingPosition.chapter, ReadingPosition.char_offset)
        .where(ReadingPosition.owner == user.id, ReadingPosition.book == book.id)
        .first()
    )
    chapter = offset = words_at = None
    if position is not None:
        with contextlib.suppress(InvalidInput):  # a position into a chapter that is gone: start unplaced
            location = await locate(book.id, position["chapter"])
            chapter, offset = position["chapter"], location.clamp(position["char_offset"])
            words_at = location.words_at(offset)
    [row] = await ReadingSession.insert(
        ReadingSession(
            owner=user.id, book=book.id, chapter=chapter, char_offset=offset, words_at=words_at,
            start_words_at=words_at,
        )
    ).returning(*ReadingSession.all_columns())  # fmt: skip
    return session_read(row)


async def list_sessions(
    user: User, book_id: uuid.UUID | None, *, limit: int, offset: int
) -> list[SessionRead]:
    """The reader's sessions, newest first (of one book when `book_id` is given: 404 if not theirs)."""
    where = [ReadingSession.owner == user.id]
    if book_id is not None:
        where.append(ReadingSession.book == (await owned_book(user, book_id)).id)
    rows = (
        await ReadingSession.select()
        .where(*where)
        .order_by(ReadingSession.started_at, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return [session_read(row) for row in rows]


async def get_session(user: User, session_id: uuid.UUID) -> SessionRead:
    row = (
        await ReadingSession.select()
        .where(ReadingSession.id == session_id, ReadingSession.owner == user.id)
        .first()
    )
    if row is None:
        raise NotFound("No such reading session.", code="session_not_found")
    return session_read(row)


async def heartbeat(user: User, session_id: uuid.UUID, data: SessionHeartbeat) -> SessionRead:
    """Credit time (and words, when a position comes with it) since the last beat; `ended` closes it."""
    timed_out = False
    async with get_engine().transaction():
        rows = await ReadingSession.raw(
            "SELECT *, now() AS now FROM reading_sessions WHERE id = {} AND owner = {} FOR UPDATE",
            session_id,
            user.id,
        )
        if not rows:
            raise NotFound("No such reading session.", code="session_not_found")
        row = rows[0]
        if row["ended_at"] is not None:
            raise Conflict("This reading session has ended; start a new one.", code="session_ended")
        # two beats racing: the one that waited for the lock may have started "before" the stored beat
        gap = max(row["now"] - row["last_seen_at"], timedelta(0))
        if gap > IDLE_AFTER:  # the cron job had not got to it yet: it ended where it was last seen
            await _close(session_id, "idle")
            timed_out = True
        else:
            changes = await _advance(row, min(gap, HEARTBEAT_CREDIT), data)
            if data.ended:
                changes |= {"ended_at": row["now"], "end_reason": "client"}
            seen = max(row["now"], row["last_seen_at"])
            updated = await _update(session_id, changes | {"last_seen_at": seen})
    if timed_out:
        raise Conflict("This reading session timed out; start a new one.", code="session_ended")
    return session_read(updated)


async def _advance(row: dict[str, Any], credit: timedelta, data: SessionHeartbeat) -> dict[str, Any]:
    changes: dict[str, Any] = {"active_seconds": row["active_seconds"] + credit.total_seconds()}
    chapter = data.chapter if data.chapter is not None else row["chapter"]  # an offset alone: same chapter
    if chapter is None or (data.chapter is None and data.offset is None):
        return changes
    location = await locate(row["book"], chapter)
    offset = location.clamp(data.offset or 0)
    words_at = location.words_at(offset)
    changes |= {"chapter": chapter, "char_offset": offset, "words_at": words_at}
    if row["words_at"] is None:
        changes["start_words_at"] = words_at
    else:
        cap = credit.total_seconds() / 60 * MAX_WORDS_PER_MINUTE
        moved = max(0.0, min(words_at - row["words_at"], cap))
        changes["words_read"] = row["words_read"] + round(moved)
    return changes


async def _update(session_id: uuid.UUID, changes: dict[str, Any]) -> dict[str, Any]:
    columns = {getattr(ReadingSession, name): value for name, value in changes.items()}
    [row] = (
        await ReadingSession.update(columns)
        .where(ReadingSession.id == session_id)
        .returning(*ReadingSession.all_columns())
    )
    return row


async def _close(session_id: uuid.UUID, reason: str) -> None:
    await ReadingSession.raw(
        "UPDATE reading_sessions SET ended_at = last_seen_at, end_reason = {} WHERE id = {} AND ended_at IS NULL",
        reason,
        session_id,
    )


async def close_idle_sessions(idle_after: timedelta = IDLE_AFTER) -> int:
    """Close every open session without a heartbeat for `idle_after`; it ends when it was last seen."""
    rows = await ReadingSession.raw(
        """
        UPDATE reading_sessions SET ended_at = last_seen_at, end_reason = 'idle'
        WHERE ended_at IS NULL AND last_seen_at < now() - {}::interval
        RETURNING id
        """,
        idle_after,
    )
    return len(rows)
