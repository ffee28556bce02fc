"""The reader's "Who's who" panel and "Export illustrated EPUB" button in Chromium (issue 14): the cast stops
at the furthest position read, quotes jump to their passage, "reveal all" shows the rest; the export button
waits for the build and downloads a real EPUB. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Locator, Page

from tests.books import cast_epub
from tests.e2e.conftest import PASSWORD, sign_in
from tests.e2e.test_accessibility import violations
from tests.support import sign_up as api_sign_up

pytestmark = pytest.mark.e2e


async def reader_in_chapter_3(base_url: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        account = await api_sign_up(http, password=PASSWORD)
        files = {"file": ("stranger.epub", cast_epub(), "application/epub+zip")}
        created = await account.post("/api/v1/books", files=files)
        book = await account.wait_for_book(created.json()["id"], timeout=120)
        assert book["status"] == "ready", book
        moved = await account.put(
            f"/api/v1/books/{book['id']}/progress",
            json={"chapter": 3, "offset": 400, "percentage": 20, "updated_at": datetime.now(UTC).isoformat()},
        )
        assert moved.status_code == 200, moved.text
        return account.email, book["id"]


async def open_cast_at_grete(page: Page, email: str, book_id: str) -> Locator:
    """Sign in, open chapter 3 of the book and its "Who's who" panel: Grete's card (she is met in chapter 1)."""
    await sign_in(page, email)
    await page.goto(f"/#/read/{book_id}/3")
    await page.wait_for_selector("#reader:not(.is-loading)[data-page]")
    await page.click("#reader-cast")
    grete = page.locator("#cast-people .cast-card").filter(has=page.locator(".cast-name", has_text="Grete"))
    await grete.wait_for()
    return grete


async def draw_portrait(card: Locator) -> None:
    """The card's portrait through the image pipeline (placeholder provider), unless it was drawn ahead."""
    if await card.locator(".cast-make-portrait").count():
        await card.locator(".cast-make-portrait").click()
    await card.locator("img.cast-portrait").wait_for(timeout=60_000)


async def test_cast_panel_shows_only_what_was_read(open_page, base_url: str, screenshots: Path) -> None:
    email, book_id = await reader_in_chapter_3(base_url)
    page = await open_page()
    grete = await open_cast_at_grete(page, email, book_id)
    names = await page.locator("#cast-people .cast-name").all_inner_texts()
    assert any(n.startswith("Grete") for n in names) and not any("Lorrimer" in n for n in names)
    assert "Kestrelby" in await page.inner_text("#cast-places")
    assert "red beard" not in await page.inner_text("#cast-panel")
    assert await grete.locator(".cast-appearance").count() == 1
    await draw_portrait(grete)
    await page.screenshot(path=screenshots / "cast-panel.png")
    assert not await violations(page)
    grete = page.locator("#cast-people .cast-card").filter(has=page.locator(".cast-name", has_text="Grete"))

    quote = grete.locator(".cast-quote").last  # the quote's passage
    chapter, offset = await quote.get_attribute("data-chapter"), int(await quote.get_attribute("data-offset"))
    await quote.click()
    await page.wait_for_selector(f"#reader:not(.is-loading)[data-chapter='{chapter}']")
    await page.wait_for_selector("#reader-drawer", state="hidden")
    shown = int(await page.get_attribute("#reader", "data-offset"))
    assert abs(shown - offset) < 2000, (shown, offset)

    await page.click("#reader-cast")
    await page.check("#cast-reveal-all")
    await page.locator("#cast-people .cast-name", has_text="Lorrimer").wait_for()
    assert "red beard" in await page.inner_text("#cast-panel")
    assert "Hollowmere" in await page.inner_text("#cast-places")
    await page.screenshot(path=screenshots / "cast-panel-reveal-all.png")
    await page.reload()  # the setting is remembered
    await page.wait_for_selector("#reader:not(.is-loading)[data-page]")
    await page.click("#reader-cast")
    await page.locator("#cast-people .cast-name", has_text="Lorrimer").wait_for()
    assert await page.is_checked("#cast-reveal-all")


async def test_export_button_downloads_the_illustrated_epub(
    open_page, base_url: str, screenshots: Path
) -> None:
    email, book_id = await reader_in_chapter_3(base_url)
    page = await open_page(accept_downloads=True)
    await sign_in(page, email)
    await page.goto(f"/#/read/{book_id}/3")
    await page.wait_for_selector("#reader:not(.is-loading)[data-page]")
    async with page.expect_download(timeout=120_000) as waiting:
        await page.click("#reader-export")
        await page.wait_for_selector("#reader-export[aria-busy='true']", timeout=5_000)
        await page.screenshot(path=screenshots / "export-building.png")
    download = await waiting.value
    assert download.suggested_filename.endswith(".epub")
    path = Path(await download.path())
    with zipfile.ZipFile(path) as epub:
        assert epub.read("mimetype") == b"application/epub+zip"
        assert any(name.endswith(".opf") for name in epub.namelist())
    await page.wait_for_selector("#reader-export:not([disabled])")
    assert "EPUB" in await page.inner_text("#export-status")
    await page.screenshot(path=screenshots / "export-done.png")
    assert not await violations(page)


SCENE_WITH_PICTURE = """() => {
  const view = document.querySelector('#reader-viewport').getBoundingClientRect();
  const ready = new Set([...document.querySelectorAll('figure.illustration[data-status=ready]')].map((f) => f.dataset.descId));
  const mark = [...document.querySelectorAll('#reader-content mark.desc')].find((el) => {
    const r = el.getClientRects()[0];
    return ready.has(el.dataset.descId) && r && r.left >= view.left - 1 && r.right <= view.right + 1;
  });
  if (!mark) return null;
  mark.focus();
  return mark.dataset.descId;
}"""


async def test_why_this_picture_shows_the_prompt(open_page, base_url: str, screenshots: Path) -> None:
    email, book_id = await reader_in_chapter_3(base_url)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        login = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        images = (await http.get(f"/api/v1/books/{book_id}/images", headers=headers)).json()
    ready = [i for i in images if i["status"] == "ready" and i["prompt"]]
    assert ready, "chapter 1 is illustrated ahead when the book is ready"
    page = await open_page()
    await sign_in(page, email)
    await page.goto(f"/#/read/{book_id}/1")
    await page.wait_for_selector("#reader:not(.is-loading)[data-page]")
    await page.locator("figure.illustration[data-status=ready]").first.wait_for(state="attached")
    scene = None
    for _ in range(8):  # step on to a page whose scene already has its picture
        scene = await page.evaluate(SCENE_WITH_PICTURE)
        if scene:
            break
        await page.keyboard.press("ArrowRight")
    assert scene, "a page with an illustrated scene"
    await page.keyboard.press("Enter")
    await page.click("#why-picture summary")
    prompts = {i["description_id"]: i["prompt"] for i in images}
    await page.wait_for_function(
        "(p) => document.querySelector('#why-prompt')?.textContent === p", arg=prompts[scene]
    )
    await page.screenshot(path=screenshots / "why-this-picture.png")
    assert not await violations(page)
