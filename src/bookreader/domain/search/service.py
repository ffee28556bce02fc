"""Full-text search over the passages (paragraphs) of a user's books: built at ingest with the book
language's configuration, GIN-indexed, ranked by `ts_rank_cd`, snippets by `ts_headline`."""

from __future__ import annotations

import html
import uuid
from typing import Any, Literal

from piccolo.columns.combination import WhereRaw

from bookreader.core.errors import InvalidInput
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.service import get_book
from bookreader.domain.books.tables import Book
from bookreader.domain.search.query import EmptyQuery, search_config, to_tsquery_text
from bookreader.domain.search.schemas import BookMatch, SearchHit, SearchPage
from bookreader.domain.search.tables import SearchPassage

START, STOP, DELIM = "\x02", "\x03", " \x04 "
HEADLINE = (
    f'StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter="{DELIM}"'
)

# Broad queries over a big library match tens of thousands of paragraphs: ranking all of them costs more than
# the 100 ms budget, so one index scan takes the first CANDIDATES matches, the best of those are returned,
# and `total` is exact up to CANDIDATES (`total_capped` says when it is a lower bound).
CANDIDATES = 1000
LIBRARY = f"""
WITH q AS (SELECT to_tsquery('russian', {{}}) AS ru, to_tsquery('english', {{}}) AS en,
                  to_tsquery('simple', {{}}) AS si),
candidates AS MATERIALIZED (
  SELECT p.id, x.query, ts_rank_cd(p.tsv, x.query) AS rank
  FROM search_passages p CROSS JOIN q
  CROSS JOIN LATERAL (SELECT CASE p.config WHEN 'russian'::regconfig THEN q.ru
                             WHEN 'english'::regconfig THEN q.en ELSE q.si END AS query) x
  WHERE p.owner = {{}} AND ((p.config = 'russian'::regconfig AND p.tsv @@ q.ru)
     OR (p.config = 'english'::regconfig AND p.tsv @@ q.en)
     OR (p.config = 'simple'::regconfig AND p.tsv @@ q.si))
  LIMIT {CANDIDATES + 1}
),
ranked AS (SELECT * FROM candidates ORDER BY rank DESC, id LIMIT {{}} OFFSET {{}})
SELECT p.book, b.title AS book_title, p.chapter, p.start, p.text, r.rank,
       ts_headline(p.config, p.text, r.query, {{}}) AS headline, (SELECT count(*) FROM candidates) AS total
FROM ranked r JOIN search_passages p ON p.id = r.id JOIN books b ON b.id = p.book ORDER BY r.rank DESC, r.id
"""
LIBRARY_COUNT = (
    """
WITH q AS (SELECT to_tsquery('russian', {}) AS ru, to_tsquery('english', {}) AS en, to_tsquery('simple', {}) AS si)
SELECT count(*) AS total FROM (SELECT 1 FROM search_passages p CROSS JOIN q WHERE p.owner = {}
  AND ((p.config = 'russian'::regconfig AND p.tsv @@ q.ru) OR (p.config = 'english'::regconfig AND p.tsv @@ q.en)
       OR (p.config = 'simple'::regconfig AND p.tsv @@ q.si)) LIMIT """
    + str(CANDIDATES + 1)
    + """) m
"""
)

IN_BOOK = """
WITH q AS (SELECT to_tsquery({}::text::regconfig, {}) AS query),
ranked AS (
  SELECT p.id, p.book, p.chapter, p.start, p.config, p.text, q.query,
         ts_rank_cd(p.tsv, q.query) AS rank, count(*) OVER () AS total
  FROM search_passages p CROSS JOIN q
  WHERE p.book = {} AND p.owner = {} AND p.tsv @@ q.query
  ORDER BY {inner} LIMIT {} OFFSET {}
)
SELECT r.book, b.title AS book_title, r.chapter, r.start, r.text, r.rank, r.total,
       ts_headline(r.config, r.text, r.query, {}) AS headline
FROM ranked r JOIN books b ON b.id = r.book ORDER BY {outer}
"""
ORDERS = {
    "rank": ("rank DESC, p.id", "r.rank DESC, r.id"),
    "position": ("p.chapter, p.start", "r.chapter, r.start"),
}


def _tsquery(q: str) -> str:
    try:
        return to_tsquery_text(q)
    except EmptyQuery as exc:
        raise InvalidInput(str(exc), code="empty_query") from None


def _locate(text: str, headline: str) -> tuple[int, int, list[str]]:
    """(offset of the first marked word in `text`, its length, the marked words)."""
    terms: list[str] = []
    for piece in headline.split(START)[1:]:
        word = piece.split(STOP, 1)[0]
        if word and word not in terms:
            terms.append(word)
    if not terms:
        return 0, 0, []
    first = headline.index(START)
    context = headline[:first].rsplit(DELIM, 1)[-1][-40:]
    anchor = context + terms[0]
    found = text.find(anchor)
    if found >= 0:
        return found + len(context), len(terms[0]), terms
    found = text.find(terms[0])
    return max(found, 0), len(terms[0]), terms


def _snippet(headline: str) -> str:
    escaped = html.escape(headline.strip(), quote=False)
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>").replace(DELIM, " … ")


def _hits(rows: list[dict[str, Any]]) -> list[SearchHit]:
    hits = []
    for row in rows:
        offset, length, terms = _locate(row["text"], row["headline"] or "")
        hits.append(
            SearchHit(
                book_id=row["book"],
                book_title=row["book_title"],
                chapter=row["chapter"],
                offset=row["start"] + offset,
                length=length,
                snippet=_snippet(row["headline"] or ""),
                terms=terms,
                rank=round(float(row["rank"]), 6),
            )
        )
    return hits


async def _matching_books(user: User, q: str) -> list[BookMatch]:
    pattern = f"%{q.strip().strip(chr(34))}%"
    rows = (
        await Book.select(Book.id, Book.title, Book.authors)
        .output(load_json=True)
        .where(Book.owner == user.id, Book.title.ilike(pattern) | WhereRaw("authors::text ILIKE {}", pattern))
        .order_by(Book.title)
        .limit(10)
    )
    return [BookMatch(id=r["id"], title=r["title"], authors=list(r["authors"] or [])) for r in rows]


async def search_library(user: User, q: str, *, limit: int, offset: int) -> SearchPage:
    query = _tsquery(q)
    if offset + limit > CANDIDATES:
        raise InvalidInput(
            f"Results go up to the {CANDIDATES}th; refine the search.", code="offset_too_large"
        )
    rows = await SearchPassage.raw(LIBRARY, query, query, query, user.id, limit, offset, HEADLINE)
    if rows:
        counted = rows[0]["total"]
    else:  # past the end, or nothing: the count alone
        counted = (await SearchPassage.raw(LIBRARY_COUNT, query, query, query, user.id))[0]["total"]
    books = await _matching_books(user, q) if offset == 0 else []
    return SearchPage(
        items=_hits(rows), total=min(counted, CANDIDATES), limit=limit, offset=offset, books=books,
        total_capped=counted > CANDIDATES,
    )  # fmt: skip


async def search_book(
    user: User, book_id: uuid.UUID, q: str, *, limit: int, offset: int, order: Literal["rank", "position"]
) -> SearchPage:
    book = await get_book(user, book_id)
    query = _tsquery(q)
    inner, outer = ORDERS[order]
    sql = IN_BOOK.replace("{inner}", inner).replace("{outer}", outer)
    config = search_config(book.language)
    rows = await SearchPassage.raw(sql, config, query, book.id, user.id, limit, offset, HEADLINE)
    total = rows[0]["total"] if rows else 0
    return SearchPage(items=_hits(rows), total=total, limit=limit, offset=offset)
