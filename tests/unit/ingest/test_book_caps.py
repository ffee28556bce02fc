"""Per-book caps and the per-entry inflate ratio (security review #4): a small upload within the size limit
must not buy minutes of CPU and gigabytes of memory."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from tests.books import make_epub, novel_epub, xhtml

from bookreader.domain.books.jobs import ingest_limits
from bookreader.ingest import IngestError, IngestLimits, parse_book
from bookreader.settings import load_settings

MiB = 1024 * 1024


def _code(data: bytes, limits: IngestLimits = IngestLimits()) -> str:
    with pytest.raises(IngestError) as caught:
        parse_book(data, limits=limits)
    return caught.value.code


def test_padding_does_not_buy_inflate_budget_for_another_entry() -> None:
    # 3 MiB of random bytes (incompressible) raise the archive's size, so the old archive-wide budget
    # min(300 MiB, size × ratio) grew; the chapter itself compresses ~1000:1
    chapter = xhtml("<p>" + "all work and no play makes a dull book " * (40 * MiB // 39) + "</p>")
    data = make_epub({"c1.xhtml": chapter}, extra_files={"OEBPS/pad.bin": os.urandom(3 * MiB)})
    assert len(data) < 5 * MiB
    assert _code(data) == "zip_bomb"


def test_an_ordinary_book_is_well_within_the_ratio() -> None:
    book = parse_book(novel_epub())
    assert len(book.chapters) == 6


def test_characters_per_book_are_capped() -> None:
    data = novel_epub(chapters=6, paragraphs=40)
    assert _code(data, IngestLimits(max_book_chars=20_000)) == "book_too_large"
    assert parse_book(data, limits=IngestLimits(max_book_chars=10_000_000)).chapters


def test_chapters_per_book_are_capped() -> None:
    documents = {f"c{i}.xhtml": xhtml(f"<h1>Part {i}</h1><p>{'word ' * 80}</p>") for i in range(30)}
    toc = [(f"Part {i}", f"c{i}.xhtml") for i in range(30)]
    data = make_epub(documents, toc=toc)
    assert _code(data, IngestLimits(max_book_chapters=10)) == "book_too_large"
    assert len(parse_book(data, limits=IngestLimits(max_book_chapters=30)).chapters) == 30


def test_words_per_book_are_capped() -> None:
    data = novel_epub(chapters=2, paragraphs=10)
    assert _code(data, IngestLimits(max_book_words=500)) == "book_too_large"


def test_fb2_is_capped_too() -> None:
    from tests.books import novel_fb2

    assert _code(novel_fb2(), IngestLimits(max_book_chars=5_000)) == "book_too_large"


def test_caps_are_settings(tmp_path) -> None:
    env = {"BOOKREADER_DATA_DIR": str(tmp_path), "BOOKREADER_MAX_BOOK_CHARS": "1234",
           "BOOKREADER_MAX_BOOK_WORDS": "99", "BOOKREADER_MAX_BOOK_CHAPTERS": "7"}  # fmt: skip
    limits = ingest_limits(load_settings(env))
    assert (limits.max_book_chars, limits.max_book_words, limits.max_book_chapters) == (1234, 99, 7)
    defaults = ingest_limits(load_settings({"BOOKREADER_DATA_DIR": str(tmp_path)}))
    assert 5_000_000 <= defaults.max_book_chars <= 20_000_000


def test_zip_helper_sanity() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x", "y")
    assert _code(buffer.getvalue()) in ("unsupported_format", "corrupt_archive")
