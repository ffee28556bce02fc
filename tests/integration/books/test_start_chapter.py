"""A new book says where its story starts (`start_chapter`), past the cover and the contents (issue 14)."""

from __future__ import annotations

from tests.support import Reader
from tests.unit.ingest.builders import make_epub, paragraphs, xhtml


async def test_book_exposes_where_the_story_starts(reader: Reader, tmp_path) -> None:
    documents = {
        "cover.xhtml": xhtml("<p>Cover</p>", title="Cover"),
        "contents.xhtml": xhtml("<h1>Contents</h1><p>Chapter One</p>", title="Contents"),
        "one.xhtml": xhtml("<h1>Chapter One</h1>" + paragraphs(8), title="Chapter One"),
        "two.xhtml": xhtml("<h1>Chapter Two</h1>" + paragraphs(8), title="Chapter Two"),
    }
    toc = [("Cover", "cover.xhtml"), ("Contents", "contents.xhtml"), ("Chapter One", "one.xhtml"),
           ("Chapter Two", "two.xhtml")]  # fmt: skip
    path = tmp_path / "start.epub"
    path.write_bytes(make_epub(documents, toc=toc, guide='<reference type="text" href="two.xhtml"/>'))
    created = await reader.upload(path)
    assert created.status_code == 202, created.text
    book = await reader.wait_for_book(created.json()["id"])
    assert book["status"] == "ready", book
    chapters = (await reader.get(f"/api/v1/books/{book['id']}/chapters")).json()
    assert chapters[book["start_chapter"] - 1]["title"] == "Chapter Two"
