"""Reading sessions: server-measured time, words derived from positions, ending, and the idle-closing cron."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.integration.reading.conftest import chapter
from tests.support import Reader

from bookreader import worker
from bookreader.domain.reading.jobs import close_idle_reading_sessions
from bookreader.domain.reading.sessions import HEARTBEAT_CREDIT, MAX_WORDS_PER_MINUTE
from bookreader.domain.reading.tables import ReadingSession


async def rewind(session_id: str, by: timedelta, *, started: bool = False) -> None:
    """Pretend the last heartbeat (and the start) happened `by` earlier."""
    changes = {ReadingSession.last_seen_at: ReadingSession.last_seen_at - by}
    if started:
        changes[ReadingSession.started_at] = ReadingSession.started_at - by
    await ReadingSession.update(changes).where(ReadingSession.id == uuid.UUID(session_id))


async def start(reader: Reader, book_id: str) -> dict:
    created = await reader.post("/api/v1/reading-sessions", json={"book_id": book_id})
    assert created.status_code == 201, created.text
    return created.json()


async def beat(reader: Reader, session_id: str, **body) -> dict:
    response = await reader.patch(f"/api/v1/reading-sessions/{session_id}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_time_and_words_come_from_the_server(kafka_pair, db) -> None:
    reader, book = kafka_pair
    info = max(book["chapters"], key=lambda c: c["word_count"])  # Metamorphosis: 7k+ words; generated: ~600
    number = info["number"]
    assert info["word_count"] > 300, info
    length = len((await chapter(reader, book["id"], number))["text"])
    await reader.put(
        f"/api/v1/books/{book['id']}/progress", json={"chapter": number, "offset": 0, "percentage": 1}
    )

    session = await start(reader, book["id"])
    assert (session["chapter"], session["offset"], session["active"], session["words_read"]) == (
        number,
        0,
        True,
        0,
    )

    await rewind(session["id"], timedelta(minutes=3), started=True)
    half = await beat(
        reader, session["id"], chapter=number, offset=length // 2, words_read=10**6
    )  # claim ignored
    assert 179 <= half["seconds"] <= 185
    expected = info["word_count"] * (length // 2) / length
    assert abs(half["words_read"] - min(expected, half["seconds"] / 60 * MAX_WORDS_PER_MINUTE)) <= 1

    back = await beat(reader, session["id"], chapter=number, offset=0)  # going back is not reading
    assert back["words_read"] == half["words_read"]

    await rewind(session["id"], timedelta(minutes=1))
    last = book["chapters"][-1]["number"]
    jumped = await beat(reader, session["id"], chapter=last, offset=10**7)  # a TOC jump: capped by time
    assert jumped["offset"] == len((await chapter(reader, book["id"], last))["text"])
    assert 0 < jumped["words_read"] - back["words_read"] <= MAX_WORDS_PER_MINUTE * 1.05

    await rewind(session["id"], timedelta(hours=1))  # asleep between beats: only the credit counts
    slept = await beat(reader, session["id"])
    credited = slept["seconds"] - jumped["seconds"]  # (responses round seconds to 0.1)
    assert abs(credited - HEARTBEAT_CREDIT.total_seconds()) <= 0.2, credited

    stay = await beat(reader, session["id"], offset=0)  # an offset alone stays in the session's chapter
    assert (stay["chapter"], stay["offset"], stay["words_read"]) == (last, 0, slept["words_read"])

    bad = await reader.patch(f"/api/v1/reading-sessions/{session['id']}", json={"chapter": 999, "offset": 0})
    assert bad.status_code == 422
    ended = await beat(reader, session["id"], ended=True)
    assert (ended["active"], ended["end_reason"]) == (False, "client") and ended["ended_at"]
    again = await reader.patch(f"/api/v1/reading-sessions/{session['id']}", json={"offset": 0})
    assert again.status_code == 409 and again.json()["code"] == "session_ended"
    assert (await reader.get(f"/api/v1/reading-sessions/{session['id']}")).json()["active"] is False
    listed = (await reader.get("/api/v1/reading-sessions", params={"book_id": book["id"], "limit": 1})).json()
    assert [s["id"] for s in listed] == [session["id"]]  # the newest first


async def test_the_cron_job_closes_idle_sessions(kafka_pair, db) -> None:
    reader, book = kafka_pair
    idle, recent = await start(reader, book["id"]), await start(reader, book["id"])
    await rewind(idle["id"], timedelta(hours=2, minutes=1), started=True)
    await rewind(recent["id"], timedelta(hours=1, minutes=50), started=True)

    await close_idle_reading_sessions({})  # the embedded worker's cron may have got there first: fine
    rows = {
        str(row["id"]): row
        for row in await ReadingSession.select().where(
            ReadingSession.id.is_in([uuid.UUID(idle["id"]), uuid.UUID(recent["id"])])
        )
    }
    closed = rows[idle["id"]]
    assert closed["ended_at"] == closed["last_seen_at"] and closed["end_reason"] == "idle"
    assert rows[recent["id"]]["ended_at"] is None
    late = await reader.patch(f"/api/v1/reading-sessions/{idle['id']}", json={"offset": 0})
    assert late.status_code == 409
    assert (await beat(reader, recent["id"]))["active"] is True

    # a session past the limit that the cron has not reached yet times out on its next heartbeat
    stale = await start(reader, book["id"])
    await rewind(stale["id"], timedelta(hours=3), started=True)
    assert (await reader.patch(f"/api/v1/reading-sessions/{stale['id']}", json={})).status_code == 409
    row = await ReadingSession.select().where(ReadingSession.id == uuid.UUID(stale["id"])).first()
    assert row["ended_at"] == row["last_seen_at"] and row["active_seconds"] == 0


def test_the_idle_job_is_a_registered_cron() -> None:
    [job] = [job for job in worker.CRON_JOBS if job.name == "cron:close_idle_reading_sessions"]
    assert job.unique and len(job.minute) >= 6  # at least every 10 minutes
    assert job.coroutine.__wrapped__ is close_idle_reading_sessions
