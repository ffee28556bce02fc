"""Real book text for the nlp tests (parsed once per session with bookreader.ingest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bookreader.ingest import parse_book
from bookreader.nlp import ChapterText

BOOKS = Path(__file__).resolve().parents[3] / ".." / "shared" / "books"
DATA = Path(__file__).resolve().parent / "data"


def book_chapters(relative: str) -> list[ChapterText]:
    book = parse_book((BOOKS / relative).read_bytes())
    return [ChapterText(c.number, c.text, c.paragraphs, c.is_front_matter) for c in book.chapters]


@pytest.fixture(scope="session")
def moby_dick(shared_books: Path) -> list[ChapterText]:
    return book_chapters("epub3/idpf-moby-dick.epub")


@pytest.fixture(scope="session")
def metamorphosis(shared_books: Path) -> list[ChapterText]:
    return book_chapters("epub2/gutenberg-kafka-metamorphosis.epub")


@pytest.fixture(scope="session")
def russian_book(shared_books: Path) -> list[ChapterText]:
    return book_chapters("fb2/fb2cng-_Test-ru.fb2")


@pytest.fixture(scope="session")
def eval_rows() -> dict[str, list[dict]]:
    rows = {}
    for language in ("en", "ru"):
        with open(DATA / f"eval_{language}.jsonl", encoding="utf-8") as f:
            rows[language] = [json.loads(line) for line in f if line.strip()]
    return rows
