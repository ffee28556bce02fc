from piccolo.columns import UUID, BigInt, DoublePrecision, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book


class BookExport(Table, tablename="book_exports"):
    """The illustrated EPUB of one book, per variant ("plain", or "cast" with the cast appendix).

    `fingerprint` is what the current (or building) file is made of: the book and its ready pictures; a
    request whose fingerprint differs starts a new build. `file_name` (under the book's `exports/` folder)
    is the last file built, which may be older than `fingerprint` while a new one is building."""

    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False)
    variant = Varchar(length=16, default="plain")
    fingerprint = Varchar(length=64)
    status = Varchar(length=16, default="building")  # building | ready | failed
    progress = DoublePrecision(default=0.0)
    file_name = Text(default="")
    built_fingerprint = Varchar(length=64, null=True, default=None)
    size_bytes = BigInt(default=0)
    builds = Integer(default=0)  # builds started: a test checks "once however often asked"
    error_code = Varchar(length=64, null=True, default=None)
    error_message = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
