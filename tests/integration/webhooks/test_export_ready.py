"""`export.ready` (issue 14): the illustrated EPUB built → a signed delivery to the owner's endpoint."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from standardwebhooks import Webhook as ReferenceVerifier

from tests.harness import LiveService
from tests.integration.exports.helpers import export_url, wait_export
from tests.integration.illustrations.helpers import pregenerated_images
from tests.integration.webhooks.receiver import Receiver
from tests.support import sign_up


async def test_export_ready_is_delivered_signed_once_the_file_is_built(
    webhook_service: LiveService, receiver: Receiver, generated_books: dict[str, Path]
) -> None:
    async with httpx.AsyncClient(base_url=webhook_service.base_url, timeout=30) as http:
        reader = await sign_up(http)
        created = await reader.post(
            "/api/v1/webhooks", json={"url": receiver.url, "events": ["export.ready"]}
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        book = (await reader.upload(generated_books["tiny"])).json()
        book = await reader.wait_for_book(book["id"], timeout=150)
        assert book["status"] == "ready", book
        assert receiver.accepted() == []  # book.ready is not subscribed
        # a new book's placeholder pictures first: one arriving mid-build is a new build, a second event
        await pregenerated_images(reader, book["id"], per_book=2)  # BOOKREADER_IMAGE_PREGENERATE=2
        await wait_export(reader, book["id"])
        async with asyncio.timeout(60):
            while not receiver.accepted():  # noqa: ASYNC110 — the receiver is a thread, not a task
                await asyncio.sleep(0.2)
        bodies = [ReferenceVerifier(secret).verify(r.body, r.headers) for r in receiver.accepted()]
        assert [b["type"] for b in bodies] == ["export.ready"]
        assert bodies[0]["data"] == {"book_id": book["id"], "url": export_url(book["id"])}
        again = await reader.get(export_url(book["id"]))  # served from the cache: no second event
        assert again.status_code == 200
        await asyncio.sleep(1.5)
        assert len(receiver.accepted()) == 1
