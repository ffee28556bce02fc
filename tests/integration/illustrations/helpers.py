"""Shared steps of the illustration tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support import Reader

METAMORPHOSIS = "epub2/gutenberg-kafka-metamorphosis.epub"
DONE = ("ready", "failed")


async def ready_book(reader: Reader, path: Path) -> dict:
    created = await reader.upload(path)
    assert created.status_code in (200, 202), created.text
    book = await reader.wait_for_book(created.json()["id"], timeout=150)
    assert book["status"] == "ready", book
    return book


async def wait_image(reader: Reader, image_id: str, timeout: float = 60) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            image = (await reader.get(f"/api/v1/images/{image_id}")).json()
            if image["status"] in DONE:
                return image
            await asyncio.sleep(0.1)


async def wait_book_images(
    reader: Reader, book_id: str, at_least: int = 1, timeout: float = 60
) -> list[dict]:
    async with asyncio.timeout(timeout):
        while True:
            images = (await reader.get(f"/api/v1/books/{book_id}/images")).json()
            if len(images) >= at_least and all(i["status"] in DONE for i in images):
                return images
            await asyncio.sleep(0.2)


async def descriptions(reader: Reader, book_id: str) -> list[dict]:
    found = (await reader.get(f"/api/v1/books/{book_id}/descriptions")).json()
    assert found, "the book has descriptions"
    return found


async def pregenerated_images(reader: Reader, book_id: str, per_book: int = 3) -> list[dict]:
    """The placeholder pictures a fresh book gets: the best `per_book` of its first illustrated chapter
    (rows appear one by one, so wait for all of them)."""
    found = await descriptions(reader, book_id)
    first = min(d["chapter"] for d in found)
    expected = min(per_book, sum(1 for d in found if d["chapter"] == first))
    return await wait_book_images(reader, book_id, at_least=expected)
