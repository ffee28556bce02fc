"""`illustrate_ahead` (called by the reading domain when a reader moves) queues the best descriptions of the
current and next chapters on the real queue; the live service's worker makes them."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.integration.illustrations.helpers import (
    METAMORPHOSIS,
    descriptions,
    pregenerated_images,
    ready_book,
    wait_book_images,
)
from tests.support import Reader

from bookreader.core.queue import create_queue
from bookreader.domain.illustrations.ahead import illustrate_ahead
from bookreader.settings import load_settings


async def test_illustrate_ahead_queues_the_best_of_the_next_chapters(
    migrated: dict[str, str], db, reader: Reader, other_reader: Reader, shared_books: Path
) -> None:
    book = await ready_book(reader, shared_books / METAMORPHOSIS)
    pregenerated = await pregenerated_images(reader, book["id"])
    found = await descriptions(reader, book["id"])
    settings = load_settings(migrated)
    start = min(d["chapter"] for d in found)
    chapters = range(start, start + settings.illustrate_ahead_chapters + 1)
    have = {i["description_id"] for i in pregenerated}
    expected: set[str] = set()
    for chapter in chapters:
        ranked = sorted((d for d in found if d["chapter"] == chapter), key=lambda d: -d["priority"])
        present = sum(1 for d in ranked if d["id"] in have)
        missing = [d["id"] for d in ranked if d["id"] not in have]
        expected.update(missing[: max(0, settings.illustrate_ahead_per_chapter - present)])
    assert expected, "the next chapters have descriptions to illustrate"
    me = uuid.UUID((await reader.get("/api/v1/users/me")).json()["id"])
    queue = await create_queue(settings)
    try:
        started = await illustrate_ahead(me, uuid.UUID(book["id"]), start, settings=settings, queue=queue)
        assert await illustrate_ahead(me, uuid.UUID(book["id"]), start, settings=settings, queue=queue) == []
        stranger = uuid.UUID((await other_reader.get("/api/v1/users/me")).json()["id"])
        assert (
            await illustrate_ahead(stranger, uuid.UUID(book["id"]), start, settings=settings, queue=queue)
            == []
        )
    finally:
        await queue.aclose()

    images = await wait_book_images(reader, book["id"], at_least=len(pregenerated) + len(expected))
    ahead = [i for i in images if i["id"] in {str(s) for s in started}]
    assert {i["description_id"] for i in ahead} == expected
    assert all(i["status"] == "ready" and i["url"] for i in ahead)
    usage = (await reader.get("/api/v1/users/me")).json()["usage"]
    assert usage["images_this_month"] == len(expected)  # ahead counts, pre-generated does not
