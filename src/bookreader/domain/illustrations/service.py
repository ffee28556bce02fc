"""Illustrations: reading a user's pictures and the files behind them.

Pictures are cached across users by `prompt_hash` (prompt + style + provider + size + model): a request whose
hash already has a file is ready at once; otherwise the `generate_image` job makes it (once, see jobs.py).
The rest of the domain has a module each: `styles` (which preset), `quota` (how many), `requesting` (a
reader asks for one) and `ahead` (pictures made before anyone asks).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from bookreader.core.errors import NotFound
from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book
from bookreader.domain.illustrations.files import ensure_thumbnail, file_path, file_url
from bookreader.domain.illustrations.schemas import ImageError, ImageRead
from bookreader.domain.illustrations.tables import Image
from bookreader.imaging.thumbnails import THUMBNAIL_MEDIA_TYPE

_IMAGE_COLUMNS = (
    Image.id, Image.description, Image.book, Image.chapter, Image.status, Image.prompt, Image.provider,
    Image.style, Image.error_code, Image.error_message, Image.created_at, Image.updated_at,
    Image.file.content_hash.as_alias("content_hash"), Image.file.media_type.as_alias("media_type"),
    Image.file.width.as_alias("file_width"), Image.file.height.as_alias("file_height"), Image.variant,
    Image.pinned, Image.seed, Image.character, Image.reference_hash,
)  # fmt: skip


def shown_key(row: dict[str, Any]) -> tuple[bool, bool, int]:
    """Which version of a picture is shown: the pinned one, else the newest that has not failed."""
    return (not row.get("pinned"), row["status"] == "failed", -(row.get("variant") or 0))


def shown_only(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per description (scene pictures): its shown version, in the order first met."""
    best: dict[Any, dict[str, Any]] = {}
    for row in rows:
        held = best.get(row["description"])
        if held is None or shown_key(row) < shown_key(held):
            best[row["description"]] = row
    return list(best.values())


def image_read(row: dict[str, Any]) -> ImageRead:
    ready = row["status"] == "ready" and row.get("content_hash")
    url = file_url(row["content_hash"]) if ready else None
    error = ImageError(row["error_code"], row["error_message"] or "") if row["error_code"] else None
    return ImageRead(
        id=row["id"],
        description_id=row["description"],
        book_id=row["book"],
        chapter=row["chapter"],
        status=row["status"],
        url=url,
        thumbnail_url=f"{url}/thumbnail" if url else None,
        prompt=row["prompt"],
        provider=row["provider"],
        style=row["style"],
        error=error,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        media_type=row["media_type"] if ready else None,
        width=row["file_width"] if ready else None,
        height=row["file_height"] if ready else None,
        version=(row.get("variant") or 0) + 1,
        pinned=bool(row.get("pinned")),
        seed=row.get("seed"),
        character_id=row.get("character"),
        reference_url=file_url(row["reference_hash"]) if row.get("reference_hash") else None,
    )


async def read_image(image_id: uuid.UUID) -> ImageRead:
    row = await Image.select(*_IMAGE_COLUMNS).where(Image.id == image_id).first()
    if row is None:
        raise NotFound("No such image.", code="image_not_found")
    return image_read(row)


async def get_image(user: User, image_id: uuid.UUID) -> ImageRead:
    row = await Image.select(*_IMAGE_COLUMNS).where(Image.id == image_id, Image.owner == user.id).first()
    if row is None:
        raise NotFound("No such image.", code="image_not_found")
    return image_read(row)


async def list_book_images(user: User, book_id: uuid.UUID, chapter: int | None = None) -> list[ImageRead]:
    if not await Book.exists().where(Book.id == book_id, Book.owner == user.id):
        raise NotFound("No such book.", code="book_not_found")
    return await chapter_images(user.id, book_id, chapter)


async def chapter_images(user_id: uuid.UUID, book_id: uuid.UUID, chapter: int | None) -> list[ImageRead]:
    """The book's scene pictures as shown (one version each; portraits are the cast's)."""
    where = [Image.owner == user_id, Image.book == book_id, Image.character.is_null()]
    if chapter is not None:
        where.append(Image.chapter == chapter)
    rows = (
        await Image.select(*_IMAGE_COLUMNS).where(*where).order_by(Image.chapter).order_by(Image.created_at)
    )
    shown = shown_only(rows)
    shown.sort(key=lambda row: (row["chapter"], row["created_at"]))
    return [image_read(row) for row in shown]


async def file_for(user: User, storage: Storage, content_hash: str, *, thumbnail: bool) -> tuple[Path, str]:
    """The file behind an image URL, only for a user who owns a book that uses it (others: 404)."""
    row = (
        await Image.select(Image.file.media_type.as_alias("media_type"))
        .where(Image.owner == user.id, Image.status == "ready", Image.file.content_hash == content_hash)
        .first()
    )
    if row is None:
        raise NotFound("No such image.", code="image_not_found")
    if thumbnail:
        path, media_type = (
            await ensure_thumbnail(storage, content_hash, row["media_type"]),
            THUMBNAIL_MEDIA_TYPE,
        )
    else:
        path, media_type = file_path(storage, content_hash, row["media_type"]), row["media_type"]
    if not path.is_file():
        raise NotFound("The image file is missing.", code="image_file_missing")
    return path, media_type
