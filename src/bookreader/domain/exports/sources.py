"""What an export is made of, read from Postgres: chapters, the owner's ready pictures with the passages they
illustrate, metadata, and the cast as far as the reader has read (the cast domain's own spoiler-safe view)."""

from __future__ import annotations

import uuid
from typing import Any

from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.descriptions.cast import Bound, list_cast
from bookreader.domain.exports.cpu import ExportSource, PictureFile
from bookreader.domain.illustrations.files import EXTENSIONS, file_path
from bookreader.domain.reading.service import furthest_position
from bookreader.epubwriter import CastMember, CastQuote, ExportChapter, ExportMetadata

# each description's scene picture as the reader sees it: the pinned version, else the newest ready one
PICTURES_SQL = """
SELECT DISTINCT ON (i.description) i.description, f.content_hash, f.media_type, d.chapter, d.start,
       d."end", d.text
FROM images i JOIN image_files f ON f.id = i.file JOIN descriptions d ON d.id = i.description
WHERE i.owner = {} AND i.book = {} AND i.status = 'ready' AND i.character IS NULL
ORDER BY i.description, i.pinned DESC, i.variant DESC, i.updated_at DESC
"""


async def ready_pictures(owner: uuid.UUID, book_id: uuid.UUID) -> list[dict[str, Any]]:
    return await Book.raw(PICTURES_SQL, owner, book_id)


async def cast_bound(owner: uuid.UUID, book_id: uuid.UUID) -> tuple[int, int]:
    """(chapter, offset) of the reader's furthest position (any write, any device); (0, 0) before they start."""
    return await furthest_position(owner, book_id) or (0, 0)


PORTRAIT_FILES = """
SELECT i.id, f.content_hash, f.media_type FROM images i JOIN image_files f ON f.id = i.file
WHERE i.id = ANY({}::uuid[]) AND i.status = 'ready'
"""


async def cast_until(
    owner: uuid.UUID, book_id: uuid.UUID, bound: tuple[int, int], storage: Storage | None = None
) -> tuple[list[CastMember], list[PictureFile | None]]:
    """The cast as the reader's own cast panel shows it at `bound` (descriptions/cast.py): nobody first named
    later, and names, aliases and quotes only from text at or before it; beside it each member's portrait
    as the panel shows it (the pinned version, else the newest; none without `storage`)."""
    user = await User.objects().where(User.id == owner).first()
    if user is None or bound == (0, 0):
        return [], []
    cast = await list_cast(user, book_id, "character", Bound(*bound))
    members = [
        CastMember(
            name=c.name,
            first_chapter=c.first_chapter,
            aliases=list(c.aliases),
            quotes=[CastQuote(chapter=q.chapter, text=q.text) for q in c.appearance],
        )
        for c in cast
    ]
    ids = [c.portrait.image_id for c in cast if c.portrait and c.portrait.url]
    files = {r["id"]: r for r in await Book.raw(PORTRAIT_FILES, ids)} if ids and storage else {}
    portraits = [_picture(storage, files.get(c.portrait.image_id)) if c.portrait else None for c in cast]
    return members, portraits


def _picture(storage: Storage | None, row: dict[str, Any] | None) -> PictureFile | None:
    if storage is None or row is None:
        return None
    return PictureFile(
        chapter=0, start=0, end=0, passage="", media_type=row["media_type"],
        path=str(file_path(storage, row["content_hash"], row["media_type"])),
        name=f"pictures/{row['content_hash'][:32]}{EXTENSIONS.get(row['media_type'], '.img')}",
    )  # fmt: skip


async def cast_portraits(owner: uuid.UUID, book_id: uuid.UUID, bound: tuple[int, int]) -> list[str]:
    """What the appendix's portraits are (their image ids and files), for the export's fingerprint."""
    user = await User.objects().where(User.id == owner).first()
    if user is None or bound == (0, 0):
        return []
    cast = await list_cast(user, book_id, "character", Bound(*bound))
    return [f"{c.portrait.image_id}:{c.portrait.url}" for c in cast if c.portrait and c.portrait.url]


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
    bound = await cast_bound(book.owner, book.id)
    cast, portraits = (
        await cast_until(book.owner, book.id, bound, storage) if variant == "cast" else (None, [])
    )
    book_dir = storage.book_dir(book.id)
    return ExportSource(
        metadata=_metadata(book), chapters=chapters, asset_url_prefix=f"/api/v1/books/{book.id}/assets/",
        assets_dir=str(book_dir / "assets"), cover_path=str(book_dir / "cover") if book.has_cover else None,
        pictures=pictures, start_chapter=book.start_chapter, cast=cast, cast_portraits=portraits,
    )  # fmt: skip
