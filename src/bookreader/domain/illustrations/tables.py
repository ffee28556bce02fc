from piccolo.columns import UUID, BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions.tables import Character, Description


class ImageFile(Table, tablename="image_files"):
    """A generated picture, shared by everyone whose request hashes the same (prompt, style, provider, size)."""

    id = UUID(primary_key=True)
    prompt_hash = Varchar(length=64, unique=True)
    content_hash = Varchar(length=64, index=True)  # sha256 of the bytes: the file's name and URL
    media_type = Varchar(length=32)
    width = Integer()
    height = Integer()
    size_bytes = BigInt()
    provider = Varchar(length=32)
    model = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Image(Table, tablename="images"):
    """One version of one user's picture of a description (a scene), or of a character (a portrait, drawn
    from a description of them); points at a shared ImageFile once ready.

    A picture is a slot — (owner, description) for scenes, (owner, character) for portraits — holding one row
    per version (`variant` 0, 1, …: regenerations). The one shown is the pinned one, else the newest."""

    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False)
    description = ForeignKey(references=Description, on_delete=OnDelete.cascade, null=False)
    file = ForeignKey(references=ImageFile, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    chapter = Integer()
    status = Varchar(length=16, default="queued")  # queued | generating | ready | failed
    kind = Varchar(length=16)  # the description type
    prompt = Text()
    negative_prompt = Text(default="")
    style = Varchar(length=32)
    provider = Varchar(length=32)
    model = Varchar(length=200, null=True, default=None)
    width = Integer()
    height = Integer()
    seed = BigInt(null=True, default=None)
    prompt_hash = Varchar(length=64)
    origin = Varchar(length=16, default="request")  # request | ahead | pregen (pregen is free of quota)
    error_code = Varchar(length=64, null=True, default=None)
    error_message = Text(null=True, default=None)
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # a portrait's character (null: a scene picture)
    character = ForeignKey(
        references=Character, on_delete=OnDelete.cascade, null=True, default=None, index=True
    )
    variant = Integer(default=0)  # 0: the first version; regenerations count up within the slot
    pinned = Boolean(default=False)  # the reader's choice among the slot's versions (at most one)
    reference_hash = Varchar(length=64, null=True, default=None)  # content hash of the portrait drawn from


class ImageStyle(Table, tablename="image_styles"):
    """A reader's style preset: for all their books (book is null) or for one book (wins)."""

    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=True, default=None)
    style = Varchar(length=32)
    updated_at = Timestamptz(default=TimestamptzNow())
