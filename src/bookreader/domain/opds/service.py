"""The library as OPDS sees it: pages of books (recent, by title, by author/series/language, search) and the
facet lists, one SQL statement each (the total comes with the rows)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book
from bookreader.domain.exports.service import built_exports
from bookreader.domain.opds.schemas import BookEntry, NavItem

PER_PAGE = 50
MAX_PAGE = 10_000
ORDERS = {"recent": "created_at DESC, id", "title": "lower(title), id"}
_VISIBLE = "owner = {} AND status <> 'failed'"
_COLUMNS = (
    "id, title, authors, language, format, metadata, has_cover, file_size, filename, created_at, updated_at"
)
FACETS = {
    # facet → (SQL value expression, FROM extra, filter for one value)
    "authors": ("a.value", ", jsonb_array_elements_text(authors) AS a(value)", "authors @> {}::jsonb"),
    "series": ("metadata->>'series'", "", "metadata->>'series' = {}"),
    "languages": ("coalesce(language, 'und')", "", "coalesce(language, 'und') = {}"),
}
FACET_HREFS = {"authors": "author", "series": "in-series", "languages": "language"}


def _entry(row: dict[str, Any], exports: set[uuid.UUID]) -> BookEntry:
    meta = row["metadata"] if isinstance(row["metadata"], dict) else json.loads(row["metadata"] or "{}")
    authors = row["authors"] if isinstance(row["authors"], list) else json.loads(row["authors"] or "[]")
    return BookEntry(
        id=row["id"], title=row["title"] or "Untitled", authors=authors, language=row["language"],
        format=row["format"], summary=meta.get("annotation"), series=meta.get("series"),
        series_index=meta.get("series_index"), publisher=meta.get("publisher"), year=meta.get("year"),
        subjects=meta.get("subjects") or [], has_cover=row["has_cover"], file_size=row["file_size"],
        filename=row["filename"], created_at=row["created_at"], updated_at=row["updated_at"],
        export_ready=row["id"] in exports,
    )  # fmt: skip


async def exports_ready(owner: uuid.UUID, book_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Books whose illustrated EPUB (issue 14) is built: their entries get the acquisition link
    `/opds/books/{id}/export.epub`."""
    return await built_exports(owner, book_ids)


def _filter(facet: str | None, value: str | None) -> tuple[str, list[Any]]:
    if facet is None or value is None:
        return "", []
    _, _, condition = FACETS[facet]
    argument = json.dumps([value]) if facet == "authors" else value
    return f" AND {condition}", [argument]


def _search(query: str | None) -> tuple[str, list[Any]]:
    if not query or not query.strip():
        return "", []
    pattern = "%" + query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return " AND (title ILIKE {} OR authors::text ILIKE {})", [pattern, pattern]


async def books_page(
    user: User, *, order: str = "recent", facet: str | None = None, value: str | None = None,
    query: str | None = None, page: int = 1, per_page: int = PER_PAGE,
) -> tuple[list[BookEntry], int]:  # fmt: skip
    """One page of the user's books and how many match in all.

    The page's ids come from an index in the feed's order (books_opds_title / books_opds_recent), then only
    those rows are read whole, with the count over the same condition in the same statement.
    """
    page = max(1, min(page, MAX_PAGE))
    where_facet, facet_args = _filter(facet, value)
    where_search, search_args = _search(query)
    condition = f"{_VISIBLE}{where_facet}{where_search}"
    args = [user.id, *facet_args, *search_args]
    offset = (page - 1) * per_page
    if where_facet or where_search:  # a subset: scan it once, then page and count the matches
        order_keys = {"recent": "created_at DESC, id", "title": "title_key, id"}[order]
        sql = (
            f"WITH matched AS MATERIALIZED (SELECT id, lower(title) AS title_key, created_at FROM books "
            f"WHERE {condition}), page AS (SELECT id FROM matched ORDER BY {order_keys} LIMIT {{}} OFFSET {{}}) "
            f"SELECT {_COLUMNS}, (SELECT count(*) FROM matched) AS total FROM books JOIN page USING (id) "
            f"ORDER BY {ORDERS[order]}"
        )
        rows = await Book.raw(sql, *args, per_page, offset)
    else:  # the whole library: ids in index order, the count from the same partial index
        sql = (
            f"WITH page AS (SELECT id FROM books WHERE {condition} ORDER BY {ORDERS[order]} LIMIT {{}} OFFSET {{}}) "
            f"SELECT {_COLUMNS}, (SELECT count(*) FROM books WHERE {condition}) AS total "
            f"FROM books JOIN page USING (id) ORDER BY {ORDERS[order]}"
        )
        rows = await Book.raw(sql, *args, per_page, offset, *args)
    if rows:
        total = rows[0]["total"]
    else:  # past the end (or nothing at all): still say how many there are, for the last/prev links
        total = (await Book.raw(f"SELECT count(*) AS n FROM books WHERE {condition}", *args))[0]["n"]
    exports = await exports_ready(user.id, [row["id"] for row in rows]) if rows else set()
    return [_entry(row, exports) for row in rows], total


async def facet_page(
    user: User, facet: str, *, page: int = 1, per_page: int = PER_PAGE
) -> tuple[list[NavItem], int]:
    """The distinct authors / series / languages of the library, each a link to its books."""
    page = max(1, min(page, MAX_PAGE))
    expression, extra_from, _ = FACETS[facet]
    sql = (
        f"SELECT {expression} AS name, count(*) AS n, count(*) OVER () AS total FROM books{extra_from} "
        f"WHERE {_VISIBLE} AND {expression} IS NOT NULL AND {expression} <> '' "
        f"GROUP BY 1 ORDER BY lower({expression}), 1 LIMIT {{}} OFFSET {{}}"
    )
    rows = await Book.raw(sql, user.id, per_page, (page - 1) * per_page)
    target = FACET_HREFS[facet]
    items = [
        NavItem(
            key=f"{target}:{row['name']}",
            title=row["name"],
            href=f"{target}?{urlencode({'name': row['name']})}",
            summary=f"{row['n']} book" + ("" if row["n"] == 1 else "s"),
            count=row["n"],
        )
        for row in rows
    ]
    return items, (rows[0]["total"] if rows else 0)
