from piccolo.columns import JSONB, UUID, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book


class Shelf(Table, tablename="shelves"):
    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    name = Text()
    kind = Varchar(length=8, default="manual")  # manual | smart
    filter = JSONB(default="{}")  # smart: a LibraryFilter
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class ShelfBook(Table, tablename="shelf_books"):
    shelf = ForeignKey(references=Shelf, on_delete=OnDelete.cascade, primary_key=True)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False, index=True)
    position = Integer(default=0)
    added_at = Timestamptz(default=TimestamptzNow())
