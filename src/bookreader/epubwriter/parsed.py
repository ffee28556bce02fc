"""An `ExportBook` straight from a `ParsedBook` (ingest's value): for tests, benchmarks and tools that have
a parsed book in hand rather than the stored one."""

from __future__ import annotations

from bookreader.epubwriter.model import ExportBook, ExportChapter, ExportMetadata, Figure, Resource
from bookreader.ingest import ParsedBook

ASSET_PREFIX = "assets/"


def export_of(parsed: ParsedBook, *, identifier: str, modified: str, figures: list[Figure] = (),
              start_chapter: int | None = None) -> ExportBook:  # fmt: skip
    """`parsed` must come from `parse_book(..., asset_base_url=ASSET_PREFIX)`."""
    metadata = ExportMetadata(
        identifier=identifier, title=parsed.title, modified=modified, authors=parsed.authors,
        language=parsed.language, identifiers=parsed.identifiers, series=parsed.series,
        series_index=parsed.series_index, description=parsed.annotation, publisher=parsed.publisher,
        year=parsed.year, subjects=parsed.subjects,
    )  # fmt: skip
    chapters = [
        ExportChapter(
            number=c.number,
            title=c.title,
            level=c.level,
            html=c.html,
            paragraphs=c.paragraphs,
            is_front_matter=c.is_front_matter,
        )
        for c in parsed.chapters
    ]
    assets = [Resource(name=a.name, media_type=a.media_type, data=a.data) for a in parsed.assets]
    cover = parsed.cover
    return ExportBook(
        metadata=metadata, chapters=chapters, asset_url_prefix=ASSET_PREFIX, assets=assets,
        figures=list(figures), start_chapter=start_chapter,
        cover=Resource(name=cover.name, media_type=cover.media_type, data=cover.data) if cover else None,
    )  # fmt: skip
