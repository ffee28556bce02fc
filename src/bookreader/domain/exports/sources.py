"""What an export is made of, read from Postgres: chapters, the owner's ready pictures with the passages they
illustrate, metadata, and the cast as far as the reader has read."""

from __future__ import annotations

import uuid
from typing import Any

from bookreader.core.storage import Storage
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.descriptions.tables import Character
from bookreader.domain.exports.cpu import ExportSource, PictureFile
from bookreader.domain.illustrations.files import EXTENSIONS, file_path
from bookreader.epubwriter import CastMember, CastQuote, ExportChapter, ExportMetadata

# the newest ready picture of each description (a regenerated one replaces the older)
PICTURES_SQL = """
SELECT DISTINCT ON (i.description) i.description, f.content_hash, f.media_type, d.chapter, d.start,
       d."end", d.text
FROM images i JOIN image_files f ON f.id = i.file JOIN descriptions d ON d.id = i.description
WHERE i.owner = {} AND i.book = {} AND i.status = 'ready'
ORDER BY i.description, i.updated_at DESC
"""
# the furthest point the reader reached: any progress write (even one superseded later) or the position
BOUND_SQL = """
SELECT chapter, char_offset FROM (
    SELECT chapter, char_offset FROM position_writes WHERE owner = {} AND book = {}
    UNION ALL
    SELECT chapter, char_offset FROM reading_positions WHERE owner = {} AND book = {}
) reached ORDER BY chapter DESC, char_offset DESC LIMIT 1
"""


async def ready_pictures(owner: uuid.UUID, book_id: uuid.UUID) -> list[dict[str, Any]]:
    return await Book.raw(PICTURES_SQL, owner, book_id)


async def cast_bound(owner: uuid.UUID, book_id: uuid.UUID) -> tuple[int, int]:
    """(chapter, offset) of the reader's furthest position; (0, 0) when they have not started."""
    rows = await Book.raw(BOUND_SQL, owner, book_id, owner, book_id)
    return (rows[0]["chapter"], rows[0]["char_offset"]) if rows else (0, 0)


def _within(chapter: int, end: int, bound: tuple[int, int]) -> bool:
    return (chapter, end) <= bound


async def cast_until(book_id: uuid.UUID, bound: tuple[int, int]) -> list[CastMember]:
    """Characters met at or before `bound`, with only the quotes from there. Aliases are left out: when each
    was first used is not recorded, and a later alias can be the spoiler (who someone really is)."""
    rows = (
        await Character.select(Character.name, Character.first_chapter, Character.appearance)
        .output(load_json=True)
        .where(Character.book == book_id, Character.first_chapter <= bound[0])
        .order_by(Character.mention_count, ascending=False)
    )
    cast = []
    for row in rows:
        quotes = [
            CastQuote(chapter=q["chapter"], text=q["text"])
            for q in row["appearance"] or []
            if _within(q["chapter"], q["end"], bound)
        ]
        if row["first_chapter"] == bound[0] and not quotes:
            continue  # first named in this very chapter, maybe past the reader's offset
        cast.append(CastMember(name=row["name"], first_chapter=row["first_chapter"], quotes=quotes))
    return cast


def _metadata(book: Book) -> ExportMetadata:
    meta: dict[str, Any] = book.metadata if isinstance(book.metadata, dict) else {}
    return ExportMetadata(
        identifier=f"urn:uuid:{book.id}", title=book.title or "Untitled",
        modified=book.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"), authors=list(book.authors or []),
        language=book.language, identifiers=meta.get("identifiers") or {}, series=meta.get("series"),
        series_index=meta.get("series_index"), description=meta.get("annotation"),
        publisher=meta.get("publisher"), year=meta.get("year"), subjects=meta.get("subjects") or [],
    )  # fmt: skip


async def export_source(book: Book, variant: str, storage: Storage) -> ExportSource:
    rows = (
        await Chapter.select(
            Chapter.number, Chapter.title, Chapter.level, Chapter.html, Chapter.paragraphs,
            Chapter.is_front_matter,
        )
        .output(load_json=True)
        .where(Chapter.book == book.id)
        .order_by(Chapter.number)
    )  # fmt: skip
    chapters = [
        ExportChapter(number=r["number"], title=r["title"], level=r["level"], html=r["html"],
                      paragraphs=[tuple(p) for p in r["paragraphs"] or []], is_front_matter=r["is_front_matter"])
        for r in rows
    ]  # fmt: skip
    pictures = [
        PictureFile(
            chapter=p["chapter"],
            start=p["start"],
            end=p["end"],
            passage=p["text"],
            path=str(file_path(storage, p["content_hash"], p["media_type"])),
            media_type=p["media_type"],
            name=f"pictures/{p['content_hash'][:32]}{EXTENSIONS.get(p['media_type'], '.img')}",
        )
        for p in await ready_pictures(book.owner, book.id)
    ]
    cast = await cast_until(book.id, await cast_bound(book.owner, book.id)) if variant == "cast" else None
    book_dir = storage.book_dir(book.id)
    return ExportSource(
        metadata=_metadata(book), chapters=chapters, asset_url_prefix=f"/api/v1/books/{book.id}/assets/",
        assets_dir=str(book_dir / "assets"), cover_path=str(book_dir / "cover") if book.has_cover else None,
        pictures=pictures, start_chapter=book.start_chapter, cast=cast,
    )  # fmt: skip
