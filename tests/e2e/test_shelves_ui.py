"""Library sort and shelves in the browser: sort by title on the server, make a shelf, put a book on it, and
show only that shelf."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, sign_in
from tests.support import sign_up as api_sign_up
from tests.unit.ingest.builders import make_fb2

pytestmark = pytest.mark.e2e


async def test_sort_make_a_shelf_and_filter_by_it(open_page, base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        account = await api_sign_up(http, password=PASSWORD)
        for title in ("Zebra Tales", "Apple Orchard", "Mango Summer"):
            body = make_fb2(f"<section><p>{title} by the sea.</p></section>", title=title, lang="en").encode()
            created = await account.post("/api/v1/books", files={"file": (f"{title}.fb2", body, "x/y")})
            await account.wait_for_book(created.json()["id"])

    page = await open_page()
    await sign_in(page, account.email)
    await page.locator(".book-card[data-status=ready]").nth(2).wait_for()
    await page.select_option("#library-sort", "title")
    for _ in range(100):
        titles = await page.locator(".book-card .book-title").all_inner_texts()
        if titles == ["Apple Orchard", "Mango Summer", "Zebra Tales"]:
            break
        await page.wait_for_timeout(100)
    assert titles == ["Apple Orchard", "Mango Summer", "Zebra Tales"]

    await page.click("#shelf-new")
    await page.fill("#shelf-name", "Summer reading")
    await page.locator("dialog[open] button[value=ok]").click()
    await page.locator("#library-shelf option", has_text="Summer reading").wait_for(state="attached")
    for _ in range(100):  # the new shelf is selected: empty
        if await page.locator(".book-card").count() == 0:
            break
        await page.wait_for_timeout(100)
    await page.select_option("#library-shelf", "")
    card = page.locator(".book-card", has_text="Mango Summer")
    await card.hover()
    await card.locator(".book-shelve").click()
    await page.locator("dialog[open] button[value=ok]").click()
    await page.locator("#library-shelf option", has_text="Summer reading (1)").wait_for(state="attached")
    shelf_id = await page.locator("#library-shelf option", has_text="Summer reading").get_attribute("value")
    await page.select_option("#library-shelf", shelf_id)
    for _ in range(100):
        titles = await page.locator(".book-card .book-title").all_inner_texts()
        if titles == ["Mango Summer"]:
            break
        await page.wait_for_timeout(100)
    assert titles == ["Mango Summer"]
