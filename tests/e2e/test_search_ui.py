"""Full-text search in the browser: the library's search finds a passage, the hit opens the reader at that
chapter and page with the words marked; the reader's own search box does the same inside the book."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, sign_in
from tests.support import sign_up as api_sign_up
from tests.unit.ingest.builders import make_fb2

pytestmark = pytest.mark.e2e

FILLER = "<p>" + "The road ran on between the fields and the hedges. " * 12 + "</p>"
CHAPTERS = (
    "<section><title><p>The Road</p></title>" + FILLER * 6 + "</section>"
    "<section><title><p>The Harbour</p></title>" + FILLER * 14
    + "<p>At last they saw the lighthouse keeper waving from the grey tower above the harbour.</p>"
    + FILLER * 3 + "</section>"
)  # fmt: skip


async def test_search_hit_opens_the_reader_at_the_marked_passage(open_page, base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        account = await api_sign_up(http, password=PASSWORD)
        body = make_fb2(CHAPTERS, title="Harbour Lights", lang="en").encode()
        created = await account.post("/api/v1/books", files={"file": ("harbour.fb2", body, "x/y")})
        book = await account.wait_for_book(created.json()["id"])
        assert book["status"] == "ready"

    page = await open_page()
    await sign_in(page, account.email)
    await page.fill("#fulltext-search", '"lighthouse keeper"')
    await page.click("#fulltext-search-go")
    hit = page.locator("#fulltext-search-hits .search-hit").first
    await hit.wait_for()
    assert "<mark>" in await hit.locator(".search-snippet").inner_html()
    assert "Harbour Lights" in await hit.inner_text()
    offset = int(await hit.get_attribute("data-offset"))
    await hit.click()

    await page.wait_for_selector("#reader:not(.is-loading)[data-chapter='2']")
    marks = page.locator("#reader-content mark.find")
    await marks.first.wait_for()
    assert [await m.inner_text() for m in await marks.all()] == ["lighthouse", "keeper"]
    assert await marks.first.is_visible()  # the reader turned to the page that shows the passage
    assert abs(int(await page.eval_on_selector("#reader", "(el) => el.dataset.offset")) - offset) < 2000

    # inside the book: the reader's search box
    await page.click("#reader-search")
    await page.fill("#book-search", "hedges")
    await page.click("#book-search-go")
    first = page.locator("#book-search-hits .search-hit").first
    await first.wait_for()
    await first.click()
    # the hit may be in another chapter: until it has loaded, the previous hit's marks are still on screen
    await page.wait_for_function(
        """() => {
            const marks = [...document.querySelectorAll("#reader-content mark.find")];
            return marks.length > 0 && !marks.some((mark) => mark.textContent.toLowerCase() === "lighthouse");
        }"""
    )
    assert (await page.locator("#reader-content mark.find").first.inner_text()).lower() == "hedges"
