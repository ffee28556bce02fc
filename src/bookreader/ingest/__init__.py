"""Pure book ingestion: bytes of an EPUB 2/3, FB2 or FB2.zip in, a `ParsedBook` out.

No HTTP, database or Redis here; `parse_book` runs in a worker process pool (arguments and result are
picklable msgspec values).

Output conventions the web reader relies on:
- Every leaf block of a chapter's sanitized HTML carries `id="p-<i>"`; `paragraphs[i]` is its
  `[start, end)` in the chapter `text` and `text[start:end]` is exactly that block's text (whitespace
  collapsed, `<br>` = "\\n", paragraphs joined by "\\n\\n"). Source ids are not kept.
- Images point at `asset_base_url + asset.name` (e.g. `/api/v1/books/<id>/assets/images/0003.png`).
  Missing images, remote images and SVG files are dropped; the book is kept.
- Internal links (footnotes, cross references) point at the paragraph holding their target:
  `#p-<i>` inside the same chapter, `?chapter=<n>#p-<i>` for another chapter (FB2 notes become one
  "Notes" chapter). External links are http(s) only, with rel="noopener noreferrer".
- Zip entries are never written to disk; names that are absolute or contain `..` are ignored (never read),
  so path traversal is harmless rather than an error.

Errors are `IngestError(code, message)` with codes: file_too_large, empty_file, unsupported_format,
corrupt_archive, zip_bomb, xml_entities, drm_protected, no_content.
"""

from __future__ import annotations

from bookreader.ingest.epub import parse_epub
from bookreader.ingest.fb2 import parse_fb2, parse_fb2_zip
from bookreader.ingest.limits import IngestLimits, SafeZip, book_too_large, check_upload_size
from bookreader.ingest.model import IngestError, ParsedAsset, ParsedBook, ParsedChapter
from bookreader.ingest.sniff import content_hash, content_hash_file, sniff_format
from bookreader.language import detect_language, normalize_language

__all__ = [
    "IngestError",
    "IngestLimits",
    "ParsedAsset",
    "ParsedBook",
    "ParsedChapter",
    "content_hash",
    "content_hash_file",
    "parse_book",
    "sniff_format",
]

_DEFAULT_LIMITS = IngestLimits()


def parse_book(
    data: bytes, *, limits: IngestLimits = _DEFAULT_LIMITS, asset_base_url: str = "assets/"
) -> ParsedBook:
    """Parse an uploaded book; raise `IngestError` with a specific code when it cannot be read."""
    check_upload_size(data, limits)
    kind = sniff_format(data)
    if kind == "epub":
        book = parse_epub(data, limits, asset_base_url)
    elif kind == "fb2":
        book = parse_fb2(data, limits, asset_base_url)
    elif kind == "fb2zip":
        book = parse_fb2_zip(data, limits, asset_base_url)
    else:
        if data[:4] == b"PK\x03\x04":
            SafeZip(data, limits)  # raises corrupt_archive for a zip that cannot even be opened
        raise IngestError("unsupported_format", "This is not an EPUB or FB2 book.")
    if limits.max_book_words and book.word_count > limits.max_book_words:
        raise book_too_large("words", limits.max_book_words)
    return _complete(book)


def _complete(book: ParsedBook) -> ParsedBook:
    """Fill what metadata lacked from the content: title, start chapter, language."""
    if not book.title.strip():
        titled = next((chapter for chapter in book.chapters if not chapter.is_front_matter), None)
        book.title = titled.title if titled is not None else "Untitled"
    if book.start_chapter is None and book.chapters:
        story = next((chapter for chapter in book.chapters if not chapter.is_front_matter), book.chapters[0])
        book.start_chapter = story.number
    book.language = normalize_language(book.language)
    if book.language is None:
        sample = " ".join(
            chapter.text[:5000] for chapter in book.chapters[:20] if not chapter.is_front_matter
        )
        book.language = detect_language(sample or " ".join(chapter.text[:5000] for chapter in book.chapters))
    return book
