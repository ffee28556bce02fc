from piccolo.columns import UUID, DoublePrecision, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book


class BookDigest(Table, tablename="book_digests"):
    """A KOReader document id of one of the book's files: `partial_md5` of the bytes, or `filename` (md5 of a
    file name). Never deleted with a rewrite: the history lets an old copy on a device still match."""

    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False, index=True)
    digest = Varchar(length=32)
    kind = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())


class KosyncPosition(Table, tablename="kosync_positions"):
    """The last kosync write per document, verbatim (`progress` is the device's own XPointer), with the
    (chapter, char_offset) it mapped to — so it can be given back unchanged while it is still current."""

    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    document = Varchar(length=64)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=True)
    progress = Text()
    percentage = DoublePrecision()
    device = Varchar(length=100, default="")
    device_id = Varchar(length=100, default="")
    chapter = Integer(null=True, default=None)
    char_offset = Integer(null=True, default=None)
    updated_at = Timestamptz()
