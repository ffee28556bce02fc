"""Request and response shapes of the reading API (msgspec: Litestar validates the Meta constraints)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

INT32_MAX = 2**31 - 1  # the columns are integers: larger numbers are refused (400), not passed to Postgres
Chapter = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]
Offset = Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]
Percentage = Annotated[float, msgspec.Meta(ge=0, le=100)]
Color = Literal["yellow", "green", "blue", "pink", "orange", "purple"]
Note = Annotated[str, msgspec.Meta(max_length=20_000)]
Title = Annotated[str, msgspec.Meta(max_length=500)]
Device = Annotated[str, msgspec.Meta(max_length=100)]


class ProgressWrite(msgspec.Struct, kw_only=True):
    chapter: Chapter
    offset: Offset
    percentage: Percentage
    device: Device | None = None
    updated_at: datetime | None = None  # the client's time of reading; the server's clock when absent


class ProgressRead(msgspec.Struct, kw_only=True):
    book_id: uuid.UUID
    chapter: int
    offset: int
    percentage: float
    device: str
    updated_at: datetime
    # False when this write was older than the stored position and so did not move it
    accepted: bool = True


class BookmarkCreate(msgspec.Struct, kw_only=True):
    chapter: Chapter
    offset: Offset = 0
    title: Title | None = None


class BookmarkUpdate(msgspec.Struct, kw_only=True):
    title: Title | None = None
    chapter: Chapter | None = None
    offset: Offset | None = None


class BookmarkRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    book_id: uuid.UUID
    chapter: int
    offset: int
    title: str
    created_at: datetime
    updated_at: datetime


class HighlightCreate(msgspec.Struct, kw_only=True):
    chapter: Chapter
    start: Offset
    end: Offset
    color: Color = "yellow"
    note: Note | None = None
    # a client's `text` is accepted and ignored: the server cuts it from the chapter


class HighlightUpdate(msgspec.Struct, kw_only=True):
    color: Color | None = None
    note: Note | msgspec.UnsetType | None = msgspec.UNSET  # null clears the note
    start: Offset | None = None
    end: Offset | None = None


class HighlightRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    book_id: uuid.UUID
    chapter: int
    start: int
    end: int
    text: str
    color: str
    note: str | None
    created_at: datetime
    updated_at: datetime


class SessionStart(msgspec.Struct, kw_only=True):
    book_id: uuid.UUID


class SessionHeartbeat(msgspec.Struct, kw_only=True):
    chapter: Chapter | None = None
    offset: Offset | None = None
    ended: bool = False


class SessionRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    book_id: uuid.UUID
    started_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    chapter: int | None
    offset: int | None
    seconds: float
    minutes: float
    words_read: int
    active: bool


class GoalWrite(msgspec.Struct, kw_only=True):
    minutes_per_day: Annotated[int, msgspec.Meta(ge=1, le=1440)]


class GoalRead(msgspec.Struct, kw_only=True):
    minutes: int | None
    minutes_per_day: int | None  # the same value under the name the PUT uses
    today_minutes: float
    met: bool
    percent: float | None


class DayRead(msgspec.Struct, kw_only=True):
    date: date
    minutes: float
    words: int
    words_per_minute: float | None
    sessions: int


class Totals(msgspec.Struct, kw_only=True):
    minutes: float
    words: int
    sessions: int
    books_finished: int
    books_started: int


class StatsRead(msgspec.Struct, kw_only=True):
    timezone: str
    totals: Totals
    total_minutes: float
    total_words: int
    sessions: int
    words_per_minute: float | None
    per_day: list[DayRead]  # the last 30 days in `timezone`, oldest first, days without reading as zeros
    current_streak: int
    longest_streak: int
    streak_rule: str
    books_finished: int
    today_minutes: float
    daily_goal: GoalRead
