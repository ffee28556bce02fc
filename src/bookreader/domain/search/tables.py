from piccolo.columns import BigSerial, ForeignKey, Integer, Text, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book


class SearchPassage(Table, tablename="search_passages"):
    """One paragraph of a book, with a generated `tsv tsvector` column (GIN) only raw SQL reads."""

    id = BigSerial(primary_key=True)
    book = ForeignKey(references=Book, on_delete=OnDelete.cascade, null=False)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False, index=True)
    chapter = Integer()
    start = Integer()
    config = Varchar(length=32)  # regconfig in the database
    text = Text()
