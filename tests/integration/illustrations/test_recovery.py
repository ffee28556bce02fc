"""An image whose job was lost (a worker killed mid-way) is enqueued again by the recovery cron."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.integration.illustrations.helpers import (
    METAMORPHOSIS,
    pregenerated_images,
    ready_book,
    wait_image,
)
from tests.support import Reader

from bookreader.core.queue import create_queue
from bookreader.domain.illustrations.jobs import recover_stuck_images
from bookreader.domain.illustrations.tables import Image
from bookreader.settings import load_settings


async def test_stuck_image_is_generated_again(
    migrated: dict[str, str], db, reader: Reader, shared_books: Path
) -> None:
    book = await ready_book(reader, shared_books / METAMORPHOSIS)
    image = (await pregenerated_images(reader, book["id"]))[0]
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    # as if the worker died while generating: no job left, the row stuck
    await Image.update({Image.status: "generating", Image.file: None, Image.updated_at: long_ago}).where(
        Image.id == uuid.UUID(image["id"])
    )
    assert (await reader.get(f"/api/v1/images/{image['id']}")).json()["status"] == "generating"

    settings = load_settings(migrated)
    queue = await create_queue(settings)
    try:
        report = await recover_stuck_images({"settings": settings, "redis": queue})
    finally:
        await queue.aclose()

    assert report.startswith("requeued ") and "requeued 0 " not in report
    recovered = await wait_image(reader, image["id"])
    assert recovered["status"] == "ready" and recovered["url"] == image["url"]
