"""Statistics: per-day minutes in the caller's timezone, words per minute, streaks, books finished, goal."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.support import Reader

from bookreader.domain.reading.stats import streaks
from bookreader.domain.reading.tables import ReadingSession

MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3 all year


def test_streaks() -> None:
    today = date(2026, 11, 23)
    days = [today - timedelta(days=n) for n in (0, 1, 2, 5, 6, 7, 8, 12)]
    assert streaks(days, today) == (3, 4)
    assert streaks(days[1:], today) == (2, 4)  # today not read yet: the streak still stands
    assert streaks([today - timedelta(days=2)], today) == (0, 1)
    assert streaks([], today) == (0, 0)


async def add_session(owner: str, book: str, local: datetime, seconds: float, words: int = 0) -> None:
    started = local.astimezone(UTC)
    await ReadingSession.insert(
        ReadingSession(
            owner=uuid.UUID(owner), book=uuid.UUID(book), started_at=started,
            last_seen_at=started + timedelta(seconds=seconds), ended_at=started + timedelta(seconds=seconds),
            end_reason="client", active_seconds=seconds, words_read=words,
            words_at=1000.0 if words else None, start_words_at=0.0 if words else None,
        )
    )  # fmt: skip


async def test_stats_in_the_readers_timezone(reader: Reader, alice: dict, db) -> None:
    me = (await reader.get("/api/v1/users/me")).json()["id"]
    book_id = alice["id"]
    today = datetime.now(MOSCOW).date()

    def moscow(days_back: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(today - timedelta(days=days_back), time(hour, minute), MOSCOW)

    await add_session(me, book_id, moscow(0, 0, 30), 600, words=2000)  # 21:30 UTC of the day before
    await add_session(me, book_id, moscow(0, 0, 40), 300)  # time without positions: no words
    for back in (1, 2, 5, 6, 7, 8):
        await add_session(me, book_id, moscow(back, 12), 120)
    await add_session(me, book_id, moscow(10, 12), 30)  # under a minute: not a streak day
    await add_session(me, book_id, moscow(9, 23, 30), 3600)  # across midnight: half on each day

    stats = (await reader.get("/api/v1/stats", params={"tz": "Europe/Moscow"})).json()
    assert stats["timezone"] == "Europe/Moscow"
    assert len(stats["per_day"]) == 30 and stats["per_day"][-1]["date"] == today.isoformat()
    days = {d["date"]: d for d in stats["per_day"]}
    assert days[today.isoformat()]["minutes"] == 15 and days[today.isoformat()]["words"] == 2000
    assert days[today.isoformat()]["words_per_minute"] == 200  # 2000 words in the 10 minutes with positions
    assert days[(today - timedelta(days=3)).isoformat()]["minutes"] == 0
    assert days[(today - timedelta(days=9)).isoformat()]["minutes"] == 30
    assert days[(today - timedelta(days=8)).isoformat()]["minutes"] == 30 + 2
    assert days[(today - timedelta(days=9)).isoformat()]["sessions"] == 1
    assert days[(today - timedelta(days=8)).isoformat()]["sessions"] == 1
    assert (stats["current_streak"], stats["longest_streak"]) == (3, 5)
    assert stats["total_minutes"] == 15 + 6 * 2 + 0.5 + 60 and stats["totals"]["sessions"] == 10
    assert stats["total_words"] == 2000 and stats["words_per_minute"] == 200
    assert stats["today_minutes"] == 15

    utc = (await reader.get("/api/v1/stats")).json()
    assert utc["timezone"] == "UTC"
    utc_days = {d["date"]: d["minutes"] for d in utc["per_day"]}
    first = moscow(0, 0, 30).astimezone(UTC).date().isoformat()  # the day before in UTC
    assert utc_days[first] == 10 + 5 + (2 if first == (today - timedelta(days=1)).isoformat() else 0)

    bad = await reader.get("/api/v1/stats", params={"tz": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_timezone"


async def test_goal_and_books_finished(reader: Reader, alice: dict, db) -> None:
    me = (await reader.get("/api/v1/users/me")).json()["id"]
    assert (await reader.get("/api/v1/stats")).json()["daily_goal"]["minutes"] is None
    now = datetime.now(UTC)  # today's 20 minutes start today even in the first half hour after midnight
    await add_session(
        me, alice["id"], max(now - timedelta(minutes=30), now.replace(hour=0, minute=0, second=1)), 20 * 60
    )

    goal = await reader.put("/api/v1/stats/goal", json={"minutes_per_day": 30})
    assert goal.status_code == 200, goal.text
    assert goal.json()["minutes_per_day"] == 30
    assert (goal.json()["today_minutes"], goal.json()["met"], goal.json()["percent"]) == (20, False, 66.7)
    met = (await reader.put("/api/v1/stats/goal", json={"minutes_per_day": 15})).json()
    assert (met["met"], met["percent"]) == (True, 100)
    assert (await reader.get("/api/v1/stats/goal")).json()["minutes"] == 15
    assert (await reader.put("/api/v1/stats/goal", json={"minutes_per_day": 0})).status_code == 400

    assert (await reader.get("/api/v1/stats")).json()["books_finished"] == 0
    last = alice["chapters"][-1]["number"]
    await reader.put(
        f"/api/v1/books/{alice['id']}/progress", json={"chapter": last, "offset": 0, "percentage": 60}
    )
    stats = (await reader.get("/api/v1/stats")).json()
    assert stats["books_finished"] == 1 and stats["totals"]["books_started"] == 1  # its last chapter reached
    assert stats["daily_goal"]["minutes"] == 15
