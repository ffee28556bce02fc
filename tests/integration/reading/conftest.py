"""Reading tests: readers with a real book uploaded through the live service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.harness import SHARED_BOOKS
from tests.support import Reader, sign_up

ALICE = Path("epub3") / "epubjs-alice-without-cover.epub"  # tiny: chapters to point into, parsed at once
KAFKA = Path("epub2") / "gutenberg-kafka-metamorphosis.epub"  # real prose: word counts, descriptions


async def book_with_chapters(reader: Reader, path: Path, *, ready: bool = False) -> dict:
    """Upload `path` and wait until its chapters are stored (or until it is ready, descriptions included)."""
    created = await reader.upload(path)
    assert created.status_code in (200, 202), created.text
    statuses = ("ready", "failed") if ready else ("analyzing", "ready", "failed")
    book = await reader.wait_for_book(created.json()["id"], statuses=statuses, timeout=120)
    assert book["status"] != "failed", book
    chapters = (await reader.get(f"/api/v1/books/{book['id']}/chapters")).json()
    assert chapters, book
    book["chapters"] = chapters
    return book


async def chapter(reader: Reader, book_id: str, number: int) -> dict:
    response = await reader.get(f"/api/v1/books/{book_id}/chapters/{number}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="session")
async def session_client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="session")
def small_book(generated_books: dict[str, Path]) -> Path:
    """The small Alice book, or (on a clone without ../shared) a generated two-chapter one."""
    return SHARED_BOOKS / ALICE if SHARED_BOOKS.is_dir() else generated_books["tiny"]


@pytest.fixture(scope="session")
def prose_book(generated_books: dict[str, Path]) -> Path:
    """Metamorphosis, or (on a clone without ../shared) a generated novel with describable prose."""
    return SHARED_BOOKS / KAFKA if SHARED_BOOKS.is_dir() else generated_books["novel"]


@pytest.fixture
async def alice(reader: Reader, small_book: Path) -> dict:
    """`reader`'s copy of the small book (chapters stored)."""
    return await book_with_chapters(reader, small_book)


@pytest.fixture(scope="session")
async def kafka_pair(session_client: httpx.AsyncClient, prose_book: Path) -> tuple[Reader, dict]:
    """A reader (shared by the tests that only add their own rows) with a prose book ready."""
    reader = await sign_up(session_client)
    return reader, await book_with_chapters(reader, prose_book, ready=True)
