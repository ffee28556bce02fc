"""Reading statistics from sessions (server-measured time and words) and positions (books finished).

Days are calendar days in the caller's timezone (`?tz=`, default UTC); a session counts on the day it started.
A streak day is a day with at least STREAK_MINUTES of reading (not the daily goal: changing the goal must not
rewrite past streaks). The current streak still stands when today has no reading yet (the day is not over).
Words per minute only count sessions that reported positions, so time without positions does not dilute it.
A book is finished at FINISHED_PERCENT or when the position reached its last chapter.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bookreader.core.errors import InvalidInput
from bookreader.domain.accounts.tables import User
from bookreader.domain.reading.schemas import DayRead, GoalRead, GoalWrite, StatsRead, Totals
from bookreader.domain.reading.tables import ReadingGoal, ReadingSession

DAYS_SHOWN = 30
STREAK_MINUTES = 1.0
FINISHED_PERCENT = 98.0
STREAK_RULE = f"a day with at least {STREAK_MINUTES:g} minute of reading"

PER_DAY = """
SELECT (started_at AT TIME ZONE {})::date AS day,
       sum(active_seconds) AS seconds,
       sum(words_read) AS words,
       sum(active_seconds) FILTER (WHERE words_at IS NOT NULL) AS timed_seconds,
       count(*) AS sessions
FROM reading_sessions WHERE owner = {}
GROUP BY day ORDER BY day
"""

BOOKS = """
SELECT count(*) AS started,
       count(*) FILTER (
           WHERE p.percentage >= {}
              OR p.chapter >= (SELECT max(c.number) FROM chapters c WHERE c.book = p.book)
       ) AS finished
FROM reading_positions p WHERE p.owner = {}
"""


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown timezone {name!r}.", code="invalid_timezone") from exc


def _wpm(words: float, seconds: float) -> float | None:
    return round(words / (seconds / 60), 1) if seconds >= 30 and words > 0 else None


def streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive `days` (reading days); the current run may end yesterday."""
    ordered = sorted(set(days))
    longest = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    reading = set(ordered)
    cursor = today if today in reading else today - timedelta(days=1)
    current = 0
    while cursor in reading:
        current += 1
        cursor -= timedelta(days=1)
    return current, longest


async def goal_minutes(user: User) -> int | None:
    row = await ReadingGoal.select(ReadingGoal.minutes_per_day).where(ReadingGoal.owner == user.id).first()
    return row["minutes_per_day"] if row else None


def goal_read(minutes: int | None, today_minutes: float) -> GoalRead:
    return GoalRead(
        minutes=minutes,
        minutes_per_day=minutes,
        today_minutes=round(today_minutes, 2),
        met=minutes is not None and today_minutes >= minutes,
        percent=min(100.0, round(today_minutes / minutes * 100, 1)) if minutes else None,
    )


async def set_goal(user: User, data: GoalWrite, tz: str | None) -> GoalRead:
    await ReadingGoal.raw(
        """
        INSERT INTO reading_goals (owner, minutes_per_day) VALUES ({}, {})
        ON CONFLICT (owner) DO UPDATE SET minutes_per_day = excluded.minutes_per_day, updated_at = now()
        """,
        user.id,
        data.minutes_per_day,
    )
    return await get_goal(user, tz)


async def get_goal(user: User, tz: str | None) -> GoalRead:
    stats = await reading_stats(user, tz)
    return stats.daily_goal


async def reading_stats(user: User, tz: str | None) -> StatsRead:
    timezone = zone(tz)
    today = datetime.now(UTC).astimezone(timezone).date()
    rows = await ReadingSession.raw(PER_DAY, timezone.key, user.id)
    by_day = {row["day"]: row for row in rows}
    per_day = []
    for back in range(DAYS_SHOWN - 1, -1, -1):
        day = today - timedelta(days=back)
        row = by_day.get(day)
        seconds = float(row["seconds"]) if row else 0.0
        words = int(row["words"]) if row else 0
        timed = float(row["timed_seconds"] or 0) if row else 0.0
        per_day.append(
            DayRead(
                date=day, minutes=round(seconds / 60, 2), words=words, words_per_minute=_wpm(words, timed),
                sessions=int(row["sessions"]) if row else 0,
            )
        )  # fmt: skip
    total_seconds = sum(float(r["seconds"]) for r in rows)
    total_words = sum(int(r["words"]) for r in rows)
    timed_seconds = sum(float(r["timed_seconds"] or 0) for r in rows)
    sessions = sum(int(r["sessions"]) for r in rows)
    current, longest = streaks((r["day"] for r in rows if float(r["seconds"]) >= STREAK_MINUTES * 60), today)
    [books] = await ReadingSession.raw(BOOKS, FINISHED_PERCENT, user.id)
    today_minutes = float(by_day[today]["seconds"]) / 60 if today in by_day else 0.0
    total_minutes = round(total_seconds / 60, 2)
    return StatsRead(
        timezone=timezone.key,
        totals=Totals(
            minutes=total_minutes, words=total_words, sessions=sessions, books_finished=books["finished"],
            books_started=books["started"],
        ),
        total_minutes=total_minutes,
        total_words=total_words,
        sessions=sessions,
        words_per_minute=_wpm(total_words, timed_seconds),
        per_day=per_day,
        current_streak=current,
        longest_streak=longest,
        streak_rule=STREAK_RULE,
        books_finished=books["finished"],
        today_minutes=round(today_minutes, 2),
        daily_goal=goal_read(await goal_minutes(user), today_minutes),
    )  # fmt: skip
