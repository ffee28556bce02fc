"""Reading position: the "not older" rule (atomic in SQL), history of writes, validation, illustrate-ahead."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from tests.integration.reading.conftest import book_with_chapters, chapter
from tests.support import Reader

from bookreader.domain.illustrations.tables import Image
from bookreader.domain.reading.tables import PositionWrite

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def put(reader: Reader, book_id: str, **body) -> dict:
    response = await reader.put(f"/api/v1/books/{book_id}/progress", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_no_position_yet_is_404(reader: Reader, alice: dict) -> None:
    response = await reader.get(f"/api/v1/books/{alice['id']}/progress")
    assert response.status_code == 404
    assert response.json()["code"] == "progress_not_found"


async def test_a_stale_write_does_not_move_the_position_back(reader: Reader, alice: dict, db) -> None:
    book_id, last = alice["id"], alice["chapters"][-1]["number"]
    first = await put(
        reader, book_id, chapter=last, offset=10, percentage=80, device="phone", updated_at=at(10)
    )
    assert first["accepted"] is True and first["chapter"] == last and first["device"] == "phone"
    stale = await put(reader, book_id, chapter=1, offset=0, percentage=0, device="laptop", updated_at=at(5))
    assert stale["accepted"] is False
    assert (stale["chapter"], stale["offset"], stale["percentage"], stale["device"]) == (
        last,
        10,
        80,
        "phone",
    )
    current = (await reader.get(f"/api/v1/books/{book_id}/progress")).json()
    assert (current["chapter"], current["offset"], current["percentage"]) == (last, 10, 80)
    assert datetime.fromisoformat(current["updated_at"]) == T0 + timedelta(minutes=10)
    # an equal time is not older: the later arrival wins
    same = await put(
        reader, book_id, chapter=last, offset=12, percentage=81, device="laptop", updated_at=at(10)
    )
    assert same["accepted"] is True and same["offset"] == 12
    writes = (
        await PositionWrite.select(PositionWrite.accepted, PositionWrite.device)
        .where(PositionWrite.book == uuid.UUID(book_id))
        .order_by(PositionWrite.id)
    )
    assert [(w["accepted"], w["device"]) for w in writes] == [
        (True, "phone"),
        (False, "laptop"),
        (True, "laptop"),
    ]


async def test_concurrent_writes_end_at_the_newest(reader: Reader, alice: dict, db) -> None:
    book_id, last = alice["id"], alice["chapters"][-1]["number"]
    minutes = list(range(40))
    results = await asyncio.gather(
        *(
            put(reader, book_id, chapter=last, offset=m, percentage=m, updated_at=at(m))
            for m in reversed(minutes)
        )
    )
    assert all(r["offset"] <= 39 for r in results)
    current = (await reader.get(f"/api/v1/books/{book_id}/progress")).json()
    assert (current["offset"], current["percentage"]) == (39, 39)
    assert await PositionWrite.count().where(PositionWrite.book == uuid.UUID(book_id)) == 40


async def test_validation_and_clamping(reader: Reader, alice: dict) -> None:
    book_id = alice["id"]
    number = alice["chapters"][0]["number"]
    length = len((await chapter(reader, book_id, number))["text"])
    clamped = await put(reader, book_id, chapter=number, offset=length + 500, percentage=5)
    assert clamped["offset"] == length
    missing = await reader.put(
        f"/api/v1/books/{book_id}/progress", json={"chapter": 999, "offset": 0, "percentage": 1}
    )
    assert missing.status_code == 422 and missing.json()["code"] == "chapter_not_found"
    for bad in ({"percentage": 101}, {"percentage": -1}, {"offset": -1}, {"chapter": 0}, {"chapter": 2**40}):
        body = {"chapter": number, "offset": 0, "percentage": 1} | bad
        refused = await reader.put(f"/api/v1/books/{book_id}/progress", json=body)
        assert refused.status_code == 400, (bad, refused.text)
    # a clock ahead of the server's counts as now, so it cannot pin the position
    future = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    ahead = await put(reader, book_id, chapter=number, offset=3, percentage=2, updated_at=future)
    assert datetime.fromisoformat(ahead["updated_at"]) < datetime.now(UTC) + timedelta(minutes=1)
    later = await put(reader, book_id, chapter=number, offset=4, percentage=3)
    assert later["accepted"] is True and later["offset"] == 4


async def test_entering_a_chapter_illustrates_ahead(reader: Reader, prose_book, db) -> None:
    book = await book_with_chapters(reader, prose_book, ready=True)  # descriptions to illustrate
    book_id = uuid.UUID(book["id"])
    numbers = [c["number"] for c in book["chapters"]]
    target = numbers[len(numbers) // 2]

    async def ahead() -> dict:
        rows = await Image.select(Image.id, Image.chapter).where(
            Image.book == book_id, Image.origin == "ahead"
        )
        return {row["id"]: row["chapter"] for row in rows}

    before = await ahead()
    await put(reader, book["id"], chapter=target, offset=0, percentage=40)
    started = {k: v for k, v in (await ahead()).items() if k not in before}
    assert started, "moving into a chapter with descriptions queues pictures"
    assert set(started.values()) <= set(range(target, target + 3))  # this chapter and the next ones
