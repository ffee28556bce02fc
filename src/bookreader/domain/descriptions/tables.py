from piccolo.columns import (
    JSONB,
    UUID,
    BigSerial,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from bookreader.domain.books.tables import Book


class Description(Table, tablename="descriptions"):
    id = UUID(primary_key=True)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False)
    chapter = Integer()
    type = Varchar(length=16)  # location | character | atmosphere | object | action
    text = Text()
    start = Integer()
    end = Integer()
    confidence = DoublePrecision()
    priority = DoublePrecision()
    entities = JSONB(default="[]")
    summary = Text(null=True, default=None)  # the optional LLM judge's one-line visual summary


class Character(Table, tablename="characters"):
    id = UUID(primary_key=True)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False)
    name = Text()
    aliases = JSONB(default="[]")
    mention_count = Integer(default=0)
    first_chapter = Integer(default=1)
    appearance = JSONB(default="[]")  # [{"chapter","start","end","text"}]
    kind = Varchar(length=16, default="character")  # character | place


class CharacterMention(Table, tablename="character_mentions"):
    """Where a character or place is named (which alias, chapter, offset of the name): the cast a reader
    sees is computed from the mentions at or before their position."""

    id = BigSerial(primary_key=True)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False)
    character = ForeignKey(references=Character, on_delete=OnDelete.cascade, null=False, index=True)
    alias = Text()
    chapter = Integer()
    char_offset = Integer()  # `offset` is an SQL keyword; the API calls it `offset`


class NlpRun(Table, tablename="nlp_runs"):
    """One row per book: how its last analysis ran (which processes, how long) — for ops and tests."""

    id = UUID(primary_key=True)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, unique=True, null=False)
    language = Varchar(length=16)
    loop_pid = Integer()  # the worker process running the event loop
    pool_pids = JSONB(default="[]")  # the process-pool children that ran the chapter batches
    batches = Integer(default=0)
    chapters = Integer(default=0)
    descriptions = Integer(default=0)
    characters = Integer(default=0)
    seconds = DoublePrecision(default=0.0)
    model_version = Varchar(
        length=64, default="", index=True
    )  # nlp.model_version(language) of the run ("" before #11)
    created_at = Timestamptz()
