"""A new book opens where the story starts (issue 14): past its cover and contents, at the chapter its guide
names."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, sign_in
from tests.support import sign_up as api_sign_up
from tests.unit.ingest.builders import make_epub, paragraphs, xhtml

pytestmark = pytest.mark.e2e


def book_with_front_matter() -> bytes:
    documents = {
        "cover.xhtml": xhtml("<p>Cover</p>", title="Cover"),
        "contents.xhtml": xhtml("<h1>Contents</h1><p>Chapter One</p><p>Chapter Two</p>", title="Contents"),
        "one.xhtml": xhtml("<h1>Chapter One</h1>" + paragraphs(6), title="Chapter One"),
        "two.xhtml": xhtml("<h1>Chapter Two</h1>" + paragraphs(6), title="Chapter Two"),
    }
    toc = [("Cover", "cover.xhtml"), ("Contents", "contents.xhtml"), ("Chapter One", "one.xhtml"),
           ("Chapter Two", "two.xhtml")]  # fmt: skip
    return make_epub(documents, toc=toc, guide='<reference type="text" href="one.xhtml"/>')


async def test_a_new_book_opens_where_the_story_starts(open_page, base_url: str, screenshots: Path) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        account = await api_sign_up(http, password=PASSWORD)
        files = {"file": ("front.epub", book_with_front_matter(), "application/epub+zip")}
        book = await account.wait_for_book((await account.post("/api/v1/books", files=files)).json()["id"])
        assert book["status"] == "ready" and book["start_chapter"] == 3, book

    page = await open_page()
    await sign_in(page, account.email)
    await page.goto(f"/#/read/{book['id']}")
    await page.locator("#reader[data-chapter]").wait_for()
    for _ in range(100):  # the first chapter shown is the story's start
        chapter = await page.eval_on_selector("#reader", "(el) => el.dataset.chapter")
        if chapter == "3":
            break
        await page.wait_for_timeout(100)
    assert chapter == "3"
    assert "Chapter One" in await page.locator(".reader-chapter-title").inner_text()
    await page.screenshot(path=screenshots / "reader-opens-at-story-start.png")
