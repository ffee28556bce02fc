"""Live events: workers publish to a per-user Redis channel; every API replica's WebSockets subscribe."""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

import msgspec
from redis.asyncio import Redis

log = logging.getLogger(__name__)


class BookStatusEvent(msgspec.Struct, tag="book.status", tag_field="type"):
    book_id: str
    status: str
    stage: str
    progress: float
    error: dict[str, Any] | None = None


class ImageStatusEvent(msgspec.Struct, tag="image.status", tag_field="type"):
    image_id: str
    book_id: str
    status: Literal["queued", "generating", "ready", "failed"]
    description_id: str | None = None
    url: str | None = None
    character_id: str | None = None  # a character's portrait (not a scene picture of description_id)
    version: int = 1  # which version of the picture (regenerations count up)


class ExportStatusEvent(msgspec.Struct, tag="export.status", tag_field="type"):
    book_id: str
    status: Literal["building", "ready", "failed"]
    progress: float
    variant: str = "plain"
    url: str | None = None


Event = BookStatusEvent | ImageStatusEvent | ExportStatusEvent


def user_channel(prefix: str, user_id: uuid.UUID | str) -> str:
    return f"{prefix}:user:{user_id}"


async def publish(redis: Redis, prefix: str, user_id: uuid.UUID | str, event: Event) -> None:
    """Best effort: a live event lost while Redis is away is not worth failing the job for."""
    try:
        await redis.publish(user_channel(prefix, user_id), msgspec.json.encode(event))
    except Exception as exc:
        log.warning("could not publish %s: %s", type(event).__name__, exc)


SESSION_ENDED_SUFFIX = ":sessions-ended"


async def publish_sessions_ended(redis: Redis, prefix: str, session_ids: list[uuid.UUID | str]) -> None:
    """Tell every replica's WebSockets that these sessions ended (they also re-check revocation on a timer)."""
    if not session_ids:
        return
    try:
        await redis.publish(prefix + SESSION_ENDED_SUFFIX, msgspec.json.encode([str(s) for s in session_ids]))
    except Exception as exc:
        log.warning("could not announce ended sessions: %s", exc)
