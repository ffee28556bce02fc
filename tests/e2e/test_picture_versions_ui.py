"""Regenerate and pin in Chromium (issue 14): a scene picture in the reader and a portrait in "Who's who" get
a new version from Regenerate, and Pin brings back the one the reader liked — the page and the API agree.
Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, sign_in
from tests.e2e.test_accessibility import violations
from tests.e2e.test_cast_ui import SCENE_WITH_PICTURE, draw_portrait, open_cast_at_grete, reader_in_chapter_3

pytestmark = pytest.mark.e2e


@contextlib.asynccontextmanager
async def api_client(base_url: str, email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        login = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield http


async def test_regenerate_and_pin_a_scene_picture(open_page, base_url: str, screenshots) -> None:
    email, book_id = await reader_in_chapter_3(base_url)
    page = await open_page()
    await sign_in(page, email)
    await page.goto(f"/#/read/{book_id}/1")
    await page.wait_for_selector("#reader:not(.is-loading)[data-page]")
    await page.locator("figure.illustration[data-status=ready]").first.wait_for(state="attached")
    scene = None
    for _ in range(8):  # a page whose scene has its (pre-generated) picture
        scene = await page.evaluate(SCENE_WITH_PICTURE)
        if scene:
            break
        await page.keyboard.press("ArrowRight")
    assert scene, "a page with an illustrated scene"
    figure = page.locator(f"figure.illustration[data-desc-id='{scene}']")
    first_id = await figure.get_attribute("data-image-id")

    await page.keyboard.press("Enter")
    await page.click(".popover-scene .picture-regenerate")
    await page.wait_for_function(
        """([desc, old]) => {
          const f = document.querySelector(`figure.illustration[data-desc-id="${desc}"]`);
          return f && f.dataset.imageId !== old && f.dataset.status === "ready";
        }""",
        arg=[scene, first_id],
        timeout=60_000,
    )
    second_id = await figure.get_attribute("data-image-id")

    await page.evaluate(SCENE_WITH_PICTURE)  # the scene's mark again (the page may have laid out anew)
    await page.keyboard.press("Enter")
    await page.click(".popover-scene .picture-versions summary")
    versions = page.locator(".popover-scene .picture-version")
    await versions.nth(1).wait_for()
    assert await versions.count() == 2
    await page.wait_for_function(
        """() => [...document.querySelectorAll('.popover-scene img.picture-version-thumb')]
             .filter((img) => img.complete && img.naturalWidth > 0).length === 2""",
        timeout=15_000,
    )  # each version's own thumbnail
    await page.screenshot(path=screenshots / "picture-versions.png")
    assert not await violations(page)
    await page.click(".popover-scene .picture-version[data-version='1'] .picture-pin")
    await page.wait_for_selector(f"figure.illustration[data-desc-id='{scene}'][data-image-id='{first_id}']")

    async with api_client(base_url, email) as http:
        images = (await http.get(f"/api/v1/books/{book_id}/images")).json()
        shown = next(i for i in images if i["description_id"] == scene)
        assert (shown["id"], shown["pinned"], shown["version"]) == (first_id, True, 1)
        seed = shown["seed"]
        listed = (await http.get(f"/api/v1/images/{first_id}/versions")).json()
        assert [v["id"] for v in listed] == [second_id, first_id]
    if (
        seed is not None
    ):  # a scene with a known character: "why this picture" names the seed it was drawn with
        await page.evaluate(SCENE_WITH_PICTURE)
        await page.keyboard.press("Enter")
        await page.click("#why-picture summary")
        await page.wait_for_function(
            "(seed) => (document.querySelector('#why-made')?.textContent || '').includes(seed)", arg=str(seed)
        )
        await page.keyboard.press("Escape")
    await page.reload()  # what the server shows, after a reload too
    await page.wait_for_selector("#reader:not(.is-loading)[data-page]")
    await page.wait_for_selector(
        f"figure.illustration[data-desc-id='{scene}'][data-image-id='{first_id}']", state="attached"
    )


async def test_regenerate_and_pin_a_portrait(open_page, base_url: str, screenshots) -> None:
    email, book_id = await reader_in_chapter_3(base_url)
    page = await open_page()
    grete = await open_cast_at_grete(page, email, book_id)
    await draw_portrait(grete)
    async with api_client(base_url, email) as http:

        async def portrait() -> dict:
            cast = (await http.get(f"/api/v1/books/{book_id}/characters")).json()
            return next(c for c in cast if c["name"] == "Grete")["portrait"]

        first = await portrait()
        await grete.locator(".picture-regenerate").click()
        await page.wait_for_function(
            """() => [...document.querySelectorAll('#cast-people .cast-card')].some((card) =>
                 card.querySelector('.cast-name')?.textContent.startsWith('Grete') &&
                 card.querySelector('img.cast-portrait') &&
                 card.querySelector('.picture-versions summary')?.textContent.includes('v2'))""",
            timeout=60_000,
        )
        second = await portrait()
        assert second["version"] == 2 and second["image_id"] != first["image_id"]

        await grete.locator(".picture-versions summary").click()
        await grete.locator(".picture-version[data-version='1'] .picture-pin").click()
        await page.wait_for_function(
            """() => [...document.querySelectorAll('#cast-people .cast-card')].some((card) =>
                 card.querySelector('.cast-name')?.textContent.startsWith('Grete') &&
                 card.querySelector('.picture-versions summary')?.textContent.includes('v1 pinned'))""",
        )
        pinned = await portrait()
        assert (pinned["image_id"], pinned["pinned"]) == (first["image_id"], True)
        await page.screenshot(path=screenshots / "portrait-pinned.png")
        assert not await violations(page)
