"""Two users with two devices each, writing interleaved, stale and concurrent: positions, bookmarks,
highlights, exports and statistics come out right, and nobody sees anybody else's data."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from tests.integration.reading.conftest import book_with_chapters, chapter
from tests.support import Reader, sign_up

from bookreader.domain.reading.tables import ReadingSession

T0 = datetime.now(UTC) - timedelta(hours=1)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def second_device(first: Reader) -> Reader:
    login = await first.http.post(
        "/api/v1/auth/login", json={"email": first.email, "password": first.password}
    )
    assert login.status_code == 200, login.text
    return Reader(first.http, first.email, first.password, login.json())


async def put(
    device: Reader, book_id: str, name: str, chapter: int, offset: int, pct: float, when: str
) -> dict:
    body = {"chapter": chapter, "offset": offset, "percentage": pct, "device": name, "updated_at": when}
    response = await device.put(f"/api/v1/books/{book_id}/progress", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def position(device: Reader, book_id: str) -> tuple:
    p = (await device.get(f"/api/v1/books/{book_id}/progress")).json()
    return p["chapter"], p["offset"], p["percentage"], p["device"]


async def test_two_readers_with_two_devices_each(client: httpx.AsyncClient, prose_book, db) -> None:
    ann_phone, bob_phone = await sign_up(client), await sign_up(client)
    ann_laptop, bob_laptop = await second_device(ann_phone), await second_device(bob_phone)
    ann_book, bob_book = await asyncio.gather(
        book_with_chapters(ann_phone, prose_book),
        book_with_chapters(bob_phone, prose_book),
    )
    a, b = ann_book["id"], bob_book["id"]
    assert a != b
    *body, tail = ann_book["chapters"]
    longest = sorted(body, key=lambda c: c["word_count"], reverse=True)[:2]
    assert all(c["word_count"] > 300 for c in longest), longest  # real prose on either book
    first, second = sorted(c["number"] for c in longest)
    last = tail["number"]
    assert len((await chapter(ann_phone, a, last))["text"]) > 2000

    # -- positions: interleaved, a lagging device, then a burst of concurrent writes -------------------------
    await put(ann_phone, a, "ann-phone", second, 100, 30, at(10))
    await put(bob_phone, b, "bob-phone", last, 50, 90, at(20))
    lagging = await put(ann_laptop, a, "ann-laptop", first, 0, 1, at(5))  # read offline earlier, synced late
    assert lagging["accepted"] is False and lagging["device"] == "ann-phone"
    assert await position(ann_laptop, a) == (second, 100, 30, "ann-phone")
    await put(bob_laptop, b, "bob-laptop", first, 7, 2, at(30))  # newer: Bob really went back
    assert await position(bob_phone, b) == (first, 7, 2, "bob-laptop")

    writes = []
    for minute in range(11, 31):  # Ann's devices alternate; Bob's interleave with newer and older times
        device, name = (ann_phone, "ann-phone") if minute % 2 else (ann_laptop, "ann-laptop")
        writes.append(put(device, a, name, second, minute * 10, minute, at(minute)))
        bob_device, bob_name = (bob_phone, "bob-phone") if minute % 3 else (bob_laptop, "bob-laptop")
        writes.append(put(bob_device, b, bob_name, last, minute, 60 + minute, at(minute + 20)))
        writes.append(put(bob_laptop, b, "bob-laptop", first, 0, 0, at(minute)))  # stale: older than at(30)
    await asyncio.gather(*reversed(writes))
    assert await position(ann_phone, a) == (second, 300, 30, "ann-laptop")
    assert await position(bob_laptop, b) == (last, 30, 90, "bob-laptop")

    # -- bookmarks and highlights from both devices, some at once ---------------------------------------------
    created = await asyncio.gather(
        *(
            device.post(
                f"/api/v1/books/{book}/bookmarks",
                json={"chapter": second, "offset": n, "title": f"{who} {n}"},
            )
            for n in range(4)
            for device, book, who in ((ann_phone, a, "ann"), (ann_laptop, a, "ann"), (bob_phone, b, "bob"))
        )
    )
    assert all(r.status_code == 201 for r in created)
    ann_marks = (await ann_laptop.get(f"/api/v1/books/{a}/bookmarks")).json()
    bob_marks = (await bob_laptop.get(f"/api/v1/books/{b}/bookmarks")).json()
    assert len(ann_marks) == 8 and {m["title"].split()[0] for m in ann_marks} == {"ann"}
    assert len(bob_marks) == 4 and {m["title"].split()[0] for m in bob_marks} == {"bob"}

    text = (await chapter(ann_phone, a, second))["text"]
    spans = {"ann": (100, 160), "bob": (400, 470)}
    ann_quote, bob_quote = await asyncio.gather(
        ann_laptop.post(
            f"/api/v1/books/{a}/highlights",
            json={"chapter": second, "start": 100, "end": 160, "note": "ann's thought", "text": "not this"},
        ),
        bob_phone.post(
            f"/api/v1/books/{b}/highlights",
            json={"chapter": second, "start": 400, "end": 470, "note": "bob's thought", "color": "pink"},
        ),
    )
    assert ann_quote.json()["text"] == text[slice(*spans["ann"])]
    assert bob_quote.json()["text"] == text[slice(*spans["bob"])]
    assert [h["note"] for h in (await ann_phone.get(f"/api/v1/books/{a}/highlights")).json()] == [
        "ann's thought"
    ]

    ann_md = (await ann_phone.get(f"/api/v1/books/{a}/highlights/export", params={"format": "markdown"})).text
    bob_json = (
        await bob_laptop.get(f"/api/v1/books/{b}/highlights/export", params={"format": "json"})
    ).json()
    assert "ann's thought" in ann_md and "bob's thought" not in ann_md
    assert [h["note"] for c in bob_json["chapters"] for h in c["highlights"]] == ["bob's thought"]

    # -- nobody reaches anybody else's rows ---------------------------------------------------------------
    for device in (bob_phone, bob_laptop):
        assert (await device.get(f"/api/v1/books/{a}/progress")).status_code == 404
        assert (
            await device.patch(f"/api/v1/bookmarks/{ann_marks[0]['id']}", json={"title": "x"})
        ).status_code == 404
        assert (await device.delete(f"/api/v1/highlights/{ann_quote.json()['id']}")).status_code == 404
    assert (await ann_laptop.get(f"/api/v1/books/{b}/highlights/export")).status_code == 404

    # -- sessions on every device (time rewound in the DB, so minutes pass instantly) -------------------------
    sessions = {}
    for name, device, book in (
        ("ann-phone", ann_phone, a), ("ann-laptop", ann_laptop, a), ("bob-phone", bob_phone, b),
    ):  # fmt: skip
        started = await device.post("/api/v1/reading-sessions", json={"book_id": book})
        assert started.status_code == 201
        sessions[name] = (device, started.json()["id"])
    await ReadingSession.update(
        {
            ReadingSession.started_at: ReadingSession.started_at - timedelta(minutes=4),
            ReadingSession.last_seen_at: ReadingSession.last_seen_at - timedelta(minutes=4),
        }
    ).where(ReadingSession.id.is_in([uuid.UUID(s) for _, s in sessions.values()]))
    beats = await asyncio.gather(
        *(
            device.patch(
                f"/api/v1/reading-sessions/{sid}",
                json={"chapter": second if "ann" in name else last, "offset": 2000, "ended": True},
            )
            for name, (device, sid) in sessions.items()
        )
    )
    assert all(r.status_code == 200 for r in beats), [r.text for r in beats]
    assert (
        await bob_phone.patch(f"/api/v1/reading-sessions/{sessions['ann-phone'][1]}", json={})
    ).status_code == 404

    ann_stats = (await ann_phone.get("/api/v1/stats")).json()
    bob_stats = (await bob_laptop.get("/api/v1/stats", params={"tz": "Europe/Moscow"})).json()
    assert ann_stats["totals"]["sessions"] == 2 and bob_stats["totals"]["sessions"] == 1
    assert 7.9 <= ann_stats["total_minutes"] <= 8.3 and 3.9 <= bob_stats["total_minutes"] <= 4.2
    ann_words = sum(r.json()["words_read"] for r in beats[:2])
    assert (
        ann_stats["total_words"] == ann_words > 0
        and bob_stats["total_words"] == beats[2].json()["words_read"] > 0
    )
    assert ann_stats["books_finished"] == 0 and bob_stats["books_finished"] == 1  # Bob is in the last chapter
