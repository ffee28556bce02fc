from piccolo.columns import BigSerial, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book


class ImportedFile(Table, tablename="imported_files"):
    """A watch-folder file claimed for import: the unique (owner, path, content_hash) row makes it once."""

    id = BigSerial(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    path = Text()
    content_hash = Varchar(length=64)
    book = ForeignKey(references=Book, on_delete=OnDelete.set_null, null=True, default=None)
    status = Varchar(length=16, default="claimed")  # claimed | accepted | duplicate | failed
    error = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
