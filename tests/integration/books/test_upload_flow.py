"""Upload → parse (real ARQ worker) → ready → chapters, through the live service."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
from tests.support import Reader

METAMORPHOSIS = "epub2/gutenberg-kafka-metamorphosis.epub"


async def test_epub_upload_reaches_ready_and_reads_back(reader: Reader, shared_books: Path) -> None:
    path = shared_books / METAMORPHOSIS
    created = await reader.upload(path)
    assert created.status_code == 202, created.text
    book = created.json()
    assert book["status"] == "queued" and book["format"] == "epub"

    book = await reader.wait_for_book(book["id"])
    assert book["status"] == "ready", book
    assert book["error"] is None
    assert "Metamorphosis" in book["title"]
    assert any("Kafka" in author for author in book["authors"])
    assert book["language"] == "en"
    assert book["chapter_count"] >= 3 and book["word_count"] > 20_000

    chapters = (await reader.get(f"/api/v1/books/{book['id']}/chapters")).json()
    assert [c["number"] for c in chapters] == list(range(1, len(chapters) + 1))
    assert all({"number", "title", "level", "word_count"} <= set(c) for c in chapters)
    longest = max(chapters, key=lambda c: c["word_count"])
    chapter = (await reader.get(f"/api/v1/books/{book['id']}/chapters/{longest['number']}")).json()
    assert "Gregor" in chapter["text"] and "<script" not in chapter["html"]
    assert chapter["word_count"] == longest["word_count"]
    for start, end in chapter["paragraphs"]:
        assert 0 <= start <= end <= len(chapter["text"])

    original = await reader.get(f"/api/v1/books/{book['id']}/file")
    assert original.status_code == 200
    assert hashlib.sha256(original.content).digest() == hashlib.sha256(path.read_bytes()).digest()

    listed = (await reader.get("/api/v1/books", params={"q": "metamorph"})).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == book["id"]


async def test_same_file_again_returns_the_existing_book(reader: Reader, generated_books) -> None:
    path = generated_books["tiny"]
    first = await reader.upload(path)
    again = await reader.upload(path, filename="renamed.epub")
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (await reader.get("/api/v1/books")).json()["total"] == 1


async def test_concurrent_duplicate_uploads_make_one_book(reader: Reader, generated_books) -> None:
    path = generated_books["novel"]
    answers = await asyncio.gather(*(reader.upload(path) for _ in range(3)))
    assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
    assert sorted(a.status_code for a in answers).count(202) == 1


async def test_rejected_uploads_are_clear_and_leave_nothing(reader: Reader) -> None:
    empty = await reader.post("/api/v1/books", files={"file": ("empty.epub", b"", "application/epub+zip")})
    assert empty.status_code == 422 and empty.json()["code"] == "empty_file"
    text = await reader.post(
        "/api/v1/books", files={"file": ("notes.epub", b"just some text" * 20, "text/plain")}
    )
    assert text.status_code == 415 and text.json()["code"] == "unsupported_format"
    assert text.json()["detail"]
    missing = await reader.post("/api/v1/books", files={"other": ("x.epub", b"abc", "text/plain")})
    assert missing.status_code in (400, 422) and missing.json()["code"]
    assert (await reader.get("/api/v1/books")).json()["total"] == 0


async def test_broken_book_ends_failed_with_a_code(reader: Reader, shared_books: Path) -> None:
    broken = shared_books / "malformed/epubcheck-ocf-zip-unreadable-no-end-header-fatal.epub"
    created = await reader.upload(broken)
    if created.status_code == 202:
        book = await reader.wait_for_book(created.json()["id"])
        assert book["status"] == "failed"
        assert book["error"]["code"] and book["error"]["message"]
        chapters = (await reader.get(f"/api/v1/books/{book['id']}/chapters")).json()
        assert chapters == []  # never half-written
    else:
        assert created.status_code in (415, 422) and created.json()["code"]


async def test_other_users_get_404(reader: Reader, other_reader: Reader, generated_books) -> None:
    book = (await reader.upload(generated_books["tiny"])).json()
    await reader.wait_for_book(book["id"])
    for url in (
        f"/api/v1/books/{book['id']}",
        f"/api/v1/books/{book['id']}/file",
        f"/api/v1/books/{book['id']}/chapters",
        f"/api/v1/books/{book['id']}/chapters/1",
        f"/api/v1/books/{book['id']}/descriptions",
    ):
        answer = await other_reader.get(url)
        assert answer.status_code == 404, url
        assert book["title"] not in answer.text
    assert (await other_reader.delete(f"/api/v1/books/{book['id']}")).status_code == 404
    assert (await other_reader.get("/api/v1/books")).json()["total"] == 0
    assert (await reader.get(f"/api/v1/books/{book['id']}")).status_code == 200


async def test_delete_removes_the_book(reader: Reader, generated_books) -> None:
    book = (await reader.upload(generated_books["novel"])).json()
    await reader.wait_for_book(book["id"])
    assert (await reader.delete(f"/api/v1/books/{book['id']}")).status_code == 204
    assert (await reader.get(f"/api/v1/books/{book['id']}")).status_code == 404
    assert (await reader.get(f"/api/v1/books/{book['id']}/file")).status_code == 404


async def test_unauthenticated_upload_is_401(client: httpx.AsyncClient, generated_books) -> None:
    data = generated_books["tiny"].read_bytes()
    answer = await client.post("/api/v1/books", files={"file": ("a.epub", data, "application/epub+zip")})
    assert answer.status_code == 401


async def test_generated_books_reach_ready_without_shared(reader: Reader, generated_books) -> None:
    """The same path as the Metamorphosis test, with books the tests build (runs on a lone clone)."""
    for key, title, language, chapters in (
        ("novel", "The House by the Sea", "en", 6),
        ("russian", "Дом у моря", "ru", 4),
    ):
        created = await reader.upload(generated_books[key])
        assert created.status_code == 202, created.text
        book = await reader.wait_for_book(created.json()["id"])
        assert book["status"] == "ready" and book["error"] is None, book
        assert (book["title"], book["language"], book["chapter_count"]) == (title, language, chapters)
        chapter = (await reader.get(f"/api/v1/books/{book['id']}/chapters/1")).json()
        assert chapter["word_count"] > 100 and "<script" not in chapter["html"]
        original = await reader.get(f"/api/v1/books/{book['id']}/file")
        assert original.content == generated_books[key].read_bytes()


async def test_truncated_archive_ends_failed_without_shared(
    reader: Reader, generated_books, tmp_path
) -> None:
    broken = tmp_path / "truncated.epub"
    broken.write_bytes(generated_books["novel"].read_bytes()[:300])  # local header, no central directory
    created = await reader.upload(broken)
    if created.status_code == 202:
        book = await reader.wait_for_book(created.json()["id"])
        assert book["status"] == "failed" and book["error"]["code"] == "corrupt_archive", book
        assert (await reader.get(f"/api/v1/books/{book['id']}/chapters")).json() == []
    else:
        assert created.status_code in (415, 422) and created.json()["code"]
