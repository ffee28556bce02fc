"""What other domains call when something webhook-worthy happens (from worker code, never a request)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from bookreader.domain.webhooks.service import emit

log = logging.getLogger(__name__)


async def _safe_emit(queue: Any, owner: Any, event_type: str, data: dict, key: str | None) -> None:
    try:
        await emit(queue, owner, event_type, data, ordering_key=key)
    except Exception:  # a webhook outbox hiccup must not fail the book or the image
        log.exception("could not record %s webhook event", event_type)


async def book_ready(queue: Any, book: Any) -> None:
    data = {
        "book_id": str(book.id), "title": book.title, "authors": list(book.authors or []),
        "language": book.language, "chapter_count": book.chapter_count, "word_count": book.word_count,
    }  # fmt: skip
    await _safe_emit(queue, book.owner, "book.ready", data, str(book.id))


async def book_failed(queue: Any, book: Any, code: str, message: str) -> None:
    data = {"book_id": str(book.id), "title": book.title, "error": {"code": code, "message": message}}
    await _safe_emit(queue, book.owner, "book.failed", data, str(book.id))


async def image_status(queue: Any, row: dict, status: str, url: str | None = None) -> None:
    if status not in ("ready", "failed"):
        return
    data = {
        "image_id": str(row["id"]), "book_id": str(row["book"]), "description_id": str(row["description"]),
        "status": status, "url": url,
    }  # fmt: skip
    await _safe_emit(queue, row["owner"], f"image.{status}", data, str(row["book"]))


async def export_ready(queue: Any, owner: uuid.UUID | str, book_id: uuid.UUID | str, url: str) -> None:
    """Engineer h14's export calls this when an illustrated EPUB is built."""
    data = {"book_id": str(book_id), "url": url}
    await _safe_emit(queue, owner, "export.ready", data, str(book_id))
