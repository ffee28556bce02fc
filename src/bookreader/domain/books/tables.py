from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
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


class Book(Table, tablename="books"):
    id = UUID(primary_key=True)
    # no index of its own: books_owner_content (owner, content_hash) and the OPDS indexes lead with owner
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    title = Text(default="")
    authors = JSONB(default="[]")
    language = Varchar(length=16, null=True, default=None)
    format = Varchar(length=8)  # epub | fb2
    # queued|parsing|analyzing|ready|failed; the partial index books_unfinished covers the unfinished ones
    status = Varchar(length=16, default="queued")
    stage_progress = DoublePrecision(default=0.0)
    error_code = Varchar(length=64, null=True, default=None)
    error_message = Text(null=True, default=None)
    chapter_count = Integer(default=0)
    word_count = Integer(default=0)
    content_hash = Varchar(length=64)
    file_size = BigInt(default=0)
    filename = Text(default="")
    has_cover = Boolean(default=False)
    metadata = JSONB(default="{}")  # series, annotation, publisher, year, identifiers, subjects
    start_chapter = Integer(null=True, default=None)  # where the story starts (landmarks/guide), if known
    attempts = Integer(default=0)  # pipeline runs started: bounds re-enqueueing of a book that crashes us
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Chapter(Table, tablename="chapters"):
    id = UUID(primary_key=True)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False)
    number = Integer()
    title = Text(default="")
    level = Integer(default=1)
    html = Text()
    text = Text()
    paragraphs = JSONB(default="[]")  # [[start, end], ...] into `text`
    sources = JSONB(default="[]")  # per paragraph: its source element's crengine path (ingest/xpath.py)
    word_count = Integer(default=0)
    is_front_matter = Boolean(default=False)
