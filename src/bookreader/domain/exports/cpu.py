"""The export's CPU part as it runs in the worker's process pool: reads the book's files there, builds the
EPUB, writes it atomically; only paths and text go in, the file's size comes back."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from bookreader.core.storage import write_atomically
from bookreader.epubwriter import (
    CastMember,
    ExportBook,
    ExportChapter,
    ExportMetadata,
    Figure,
    Resource,
    build_epub,
)
from bookreader.ingest.assets import image_type


class PictureFile(msgspec.Struct, frozen=True):
    chapter: int
    start: int
    end: int
    passage: str
    path: str
    media_type: str
    name: str  # inside the EPUB, e.g. "pictures/<content hash>.png"


class ExportSource(msgspec.Struct, frozen=True):
    metadata: ExportMetadata
    chapters: list[ExportChapter]
    asset_url_prefix: str
    assets_dir: str
    cover_path: str | None
    pictures: list[PictureFile]
    start_chapter: int | None = None
    cast: list[CastMember] | None = None


class BuiltFile(msgspec.Struct, frozen=True):
    size: int


def _assets(folder: Path) -> list[Resource]:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            media_type = image_type(data)
            if media_type:
                found.append(Resource(path.relative_to(folder).as_posix(), media_type, data))
    return found


def _cover(path: str | None) -> Resource | None:
    if not path or not os.path.isfile(path):
        return None
    data = Path(path).read_bytes()
    media_type = image_type(data)
    return Resource("cover", media_type, data) if media_type else None


def export_book(source: ExportSource) -> ExportBook:
    images: dict[str, Resource] = {}
    figures = []
    for picture in source.pictures:
        if picture.path not in images:
            try:
                images[picture.path] = Resource(
                    picture.name, picture.media_type, Path(picture.path).read_bytes()
                )
            except FileNotFoundError:
                continue
        figures.append(
            Figure(picture.chapter, picture.start, picture.end, picture.passage, images[picture.path])
        )
    return ExportBook(
        metadata=source.metadata, chapters=source.chapters, asset_url_prefix=source.asset_url_prefix,
        assets=_assets(Path(source.assets_dir)), figures=figures, cover=_cover(source.cover_path),
        start_chapter=source.start_chapter, cast=source.cast,
    )  # fmt: skip


def build_file(source: ExportSource, out_path: str) -> BuiltFile:
    data = build_epub(export_book(source))
    write_atomically(Path(out_path), data)
    return BuiltFile(size=len(data))
