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
    cast_portraits: list[PictureFile | None] = []  # each cast member's portrait file (beside `cast`)


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
        start_chapter=source.start_chapter, cast=_with_portraits(source),
    )  # fmt: skip


def _with_portraits(source: ExportSource) -> list[CastMember] | None:
    if source.cast is None:
        return None
    cast = list(source.cast)
    for index, picture in enumerate(source.cast_portraits[: len(cast)]):
        if picture is None:
            continue
        try:
            data = Path(picture.path).read_bytes()
        except FileNotFoundError:
            continue
        cast[index] = msgspec.structs.replace(
            cast[index], portrait=Resource(picture.name, picture.media_type, data)
        )
    return cast


def build_file(source: ExportSource, out_path: str) -> BuiltFile:
    data = build_epub(export_book(source))
    write_atomically(Path(out_path), data)
    return BuiltFile(size=len(data))
