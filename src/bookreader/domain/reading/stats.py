"""Reading statistics from sessions (server-measured time and words) and positions (books finished).

Days are calendar days in the caller's timezone (`?tz=`, default UTC); a session's time and words are spread
over the days it spans (start to last heartbeat) and it counts as a session on the day it started.
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

# A session's time and words are spread evenly over the span from its start to its last heartbeat, so one
# that crosses midnight (local) counts on both days in proportion; it is counted as a session where it started.
# (A span is taken as at most 7 days, so a session kept alive for weeks cannot blow up the query.)
PER_DAY = """
WITH local AS (
    SELECT started_at AT TIME ZONE {} AS t0,
           least(greatest(last_seen_at, started_at), started_at + interval '7 days') AT TIME ZONE {} AS t1,
           active_seconds, words_read, words_at IS NOT NULL AS timed
    FROM reading_sessions WHERE owner = {}
), parts AS (
    SELECT day, day = date_trunc('day', t0) AS first_day, active_seconds, words_read, timed,
           CASE WHEN t1 > t0
                THEN extract(epoch FROM least(t1, day + interval '1 day') - greatest(t0, day))
                     / extract(epoch FROM t1 - t0)
                ELSE 1 END AS share
    FROM local, generate_series(date_trunc('day', t0), date_trunc('day', t1), interval '1 day') AS day
)
SELECT day::date AS day,
       sum(active_seconds * share) AS seconds,
       sum(words_read * share) AS words,
       coalesce(sum(active_seconds * share) FILTER (WHERE timed), 0) AS timed_seconds,
       count(*) FILTER (WHERE first_day) AS sessions
FROM parts GROUP BY day ORDER BY day
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
    rows = await ReadingSession.raw(PER_DAY, timezone.key, timezone.key, user.id)
    by_day = {row["day"]: row for row in rows}
    per_day = []
    for back in range(DAYS_SHOWN - 1, -1, -1):
        day = today - timedelta(days=back)
        row = by_day.get(day)
        seconds = float(row["seconds"]) if row else 0.0
        words = round(float(row["words"])) if row else 0
        timed = float(row["timed_seconds"] or 0) if row else 0.0
        per_day.append(
            DayRead(
                date=day, minutes=round(seconds / 60, 2), words=words, words_per_minute=_wpm(words, timed),
                sessions=int(row["sessions"]) if row else 0,
            )
        )  # fmt: skip
    total_seconds = sum(float(r["seconds"]) for r in rows)
    total_words = round(sum(float(r["words"]) for r in rows))
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
