"""A parsed book's files on disk: cover (+ thumbnail) and chapter images, under the book's folder."""

from __future__ import annotations

import io
import shutil
import uuid

from bookreader.core.storage import Storage
from bookreader.ingest import ParsedBook

THUMB_WIDTH = 320


def store_parsed_files(storage: Storage, book_id: uuid.UUID, parsed: ParsedBook) -> None:
    book_dir = storage.book_dir(book_id)
    assets_dir = book_dir / "assets"
    shutil.rmtree(assets_dir, ignore_errors=True)  # a re-run replaces, never accumulates
    for asset in parsed.assets:
        target = storage.safe_child(assets_dir, asset.name)
        if target is not None:
            storage.write(target, asset.data)
    for name in ("cover", "cover-thumb.jpg"):
        (book_dir / name).unlink(missing_ok=True)
    if parsed.cover is not None:
        storage.write(book_dir / "cover", parsed.cover.data)
        thumb = make_thumbnail(parsed.cover.data)
        if thumb is not None:
            storage.write(book_dir / "cover-thumb.jpg", thumb)


def make_thumbnail(data: bytes, width: int = THUMB_WIDTH) -> bytes | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (width * 2, width * 3))
            image = image.convert("RGB")
            ratio = width / max(image.width, 1)
            if ratio < 1:
                image = image.resize((width, max(1, int(image.height * ratio))), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82, optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
