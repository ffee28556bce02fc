"""The library view: filtered, sorted, paginated on the server (used by `GET /api/v1/books` when any filter or
sort is asked for, and by smart shelves). Kept apart from the plain list in `service.py`."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from bookreader.domain.books.tables import Book

ReadStatus = Literal["unread", "reading", "finished"]
Sort = Literal["title", "author", "recently_read", "recently_added", "progress", "shelf"]
FINISHED_AT = 99.0  # percent: a book read this far counts as finished


class LibraryFilter(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """What a smart shelf saves, and what `GET /api/v1/books` accepts as query parameters."""

    author: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    language: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    series: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    read_status: ReadStatus | None = None
    has_pictures: bool | None = None
    added_within_days: Annotated[int, msgspec.Meta(ge=1, le=36500)] | None = None
    q: Annotated[str, msgspec.Meta(max_length=200)] | None = None


SORTS: dict[str, tuple[str, str]] = {  # sort → (expression, default direction)
    "title": ("lower(b.title)", "ASC"),
    "author": ("lower(coalesce(b.authors->>0, ''))", "ASC"),
    "recently_read": ("rp.updated_at", "DESC"),
    "recently_added": ("b.created_at", "DESC"),
    "progress": ("coalesce(rp.percentage, 0)", "DESC"),
    "shelf": ("sb.position", "ASC"),
}


def _conditions(f: LibraryFilter, args: list) -> list[str]:
    def arg(value) -> str:
        args.append(value)
        return f"${len(args)}"

    where = []
    if f.author:
        where.append(f"b.authors::text ILIKE {arg('%' + f.author.strip() + '%')}")
    if f.language:
        where.append(f"lower(b.language) LIKE {arg(f.language.strip().lower() + '%')}")
    if f.series:
        where.append(f"b.metadata->>'series' ILIKE {arg(f.series.strip())}")
    if f.q:
        pattern = arg("%" + f.q.strip() + "%")
        where.append(f"(b.title ILIKE {pattern} OR b.authors::text ILIKE {pattern})")
    if f.added_within_days:
        where.append(f"b.created_at >= now() - make_interval(days => {arg(f.added_within_days)})")
    if f.read_status == "unread":
        where.append("coalesce(rp.percentage, 0) = 0")
    elif f.read_status == "reading":
        where.append(f"rp.percentage > 0 AND rp.percentage < {FINISHED_AT}")
    elif f.read_status == "finished":
        where.append(f"rp.percentage >= {FINISHED_AT}")
    if f.has_pictures is not None:
        exists = (
            "EXISTS (SELECT 1 FROM images i WHERE i.book = b.id AND i.owner = b.owner AND i.status = 'ready')"
        )
        where.append(exists if f.has_pictures else f"NOT {exists}")
    return where


async def list_library(
    owner: uuid.UUID,
    f: LibraryFilter,
    *,
    sort: Sort = "recently_added",
    descending: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    shelf: uuid.UUID | None = None,
) -> tuple[list[Book], int]:
    """(the page of books, the total that match)."""
    args: list = [owner]
    joins = "LEFT JOIN reading_positions rp ON rp.book = b.id AND rp.owner = b.owner"
    if shelf is not None:
        args.append(shelf)
        joins += f" JOIN shelf_books sb ON sb.book = b.id AND sb.shelf = ${len(args)}"
    elif sort == "shelf":
        sort = "recently_added"
    where = " AND ".join(["b.owner = $1", *_conditions(f, args)])
    expression, direction = SORTS[sort]
    if descending is not None:
        direction = "DESC" if descending else "ASC"
    args += [limit, offset]
    sql = (
        f"SELECT b.id, count(*) OVER () AS total FROM books b {joins} WHERE {where} "
        f"ORDER BY {expression} {direction} NULLS LAST, b.created_at DESC, b.id "
        f"LIMIT ${len(args) - 1} OFFSET ${len(args)}"
    )
    async with Book._meta.db.pool.acquire() as conn:
        rows = await conn.fetch(sql, *args)
        if not rows:
            total = 0
            if offset:  # past the end: still say how many there are
                total = await conn.fetchval(f"SELECT count(*) FROM books b {joins} WHERE {where}", *args[:-2])
            return [], total
    ids = [row["id"] for row in rows]
    books = await Book.objects().output(load_json=True).where(Book.id.is_in(ids))
    by_id = {book.id: book for book in books}
    return [by_id[i] for i in ids if i in by_id], rows[0]["total"]
