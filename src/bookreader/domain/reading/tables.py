"""Reading tables. Offsets are character offsets into a chapter's plain text (`char_offset`: `offset` is an
SQL keyword); the API calls them `offset`."""

from piccolo.columns import (
    UUID,
    BigSerial,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book


class ReadingPosition(Table, tablename="reading_positions"):
    """The one current position per user and book; `updated_at` is the client's time of reading."""

    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False)
    chapter = Integer()
    char_offset = Integer()
    percentage = DoublePrecision()
    device = Varchar(length=100, default="")
    updated_at = Timestamptz()
    received_at = Timestamptz(default=TimestamptzNow())


class PositionWrite(Table, tablename="position_writes"):
    """Every progress write, accepted or not (a stale one is kept for statistics and debugging)."""

    id = BigSerial(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False, index=True)
    chapter = Integer()
    char_offset = Integer()
    percentage = DoublePrecision()
    device = Varchar(length=100, default="")
    client_time = Timestamptz()
    accepted = Boolean()
    received_at = Timestamptz(default=TimestamptzNow())


class Bookmark(Table, tablename="bookmarks"):
    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False, index=True)
    chapter = Integer()
    char_offset = Integer()
    title = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Highlight(Table, tablename="highlights"):
    """`text` is the chapter's plain text [start:end] as the server cut it, never the client's copy."""

    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False, index=True)
    chapter = Integer()
    start = Integer()
    end = Integer()
    text = Text()
    color = Varchar(length=16, default="yellow")
    note = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ReadingSession(Table, tablename="reading_sessions"):
    """Time and words come from the server's clock and the positions reported, not from client claims:
    `words_at` is how many words of the book lie before the last reported position."""

    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False, index=True)
    started_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    ended_at = Timestamptz(null=True, default=None)
    end_reason = Varchar(length=16, null=True, default=None)  # client | idle
    chapter = Integer(null=True, default=None)
    char_offset = Integer(null=True, default=None)
    words_at = DoublePrecision(null=True, default=None)
    start_words_at = DoublePrecision(null=True, default=None)
    active_seconds = DoublePrecision(default=0.0)
    words_read = Integer(default=0)


class ReadingGoal(Table, tablename="reading_goals"):
    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, null=False)
    minutes_per_day = Integer()
    updated_at = Timestamptz(default=TimestamptzNow())
