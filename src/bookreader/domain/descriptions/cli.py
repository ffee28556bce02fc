"""`bookreader reanalyze` (`just reanalyze`): queue re-analysis from the command line, as the admin API does."""

from __future__ import annotations

import uuid

from bookreader.core import db
from bookreader.core.queue import create_queue
from bookreader.domain.descriptions import service
from bookreader.domain.descriptions.schemas import ReanalysisQueued
from bookreader.settings import Settings
from bookreader.tables import TABLES


async def queue_reanalysis(settings: Settings, book: str | None, older_than: str | None) -> ReanalysisQueued:
    await db.start_pool(settings, TABLES, max_size=2)
    queue = await create_queue(settings)
    try:
        if book:
            return await service.reanalyze_book(queue, uuid.UUID(book))
        return await service.reanalyze_stale(queue, older_than)
    finally:
        await queue.aclose()
        await db.close_pool()
