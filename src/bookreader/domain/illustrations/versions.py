"""A reader's say over one picture (a scene or a portrait): regenerate it — a new version, counted against
the plan exactly as a new picture is — and pin the version they like. Earlier versions are kept, so pinning
can choose among them; the pinned one is what the reader, the cast and the export show, and unpinning
returns to the newest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from asyncpg.exceptions import UniqueViolationError

from bookreader.core.errors import Conflict, NotFound
from bookreader.domain.accounts.tables import User
from bookreader.domain.illustrations.prompting import character_bible, plan_for
from bookreader.domain.illustrations.quota import check_monthly_quota, check_rate
from bookreader.domain.illustrations.requesting import description_row, slot_rows, upsert_image
from bookreader.domain.illustrations.schemas import ImageRead
from bookreader.domain.illustrations.service import read_image
from bookreader.domain.illustrations.styles import effective_style
from bookreader.domain.illustrations.tables import Image
from bookreader.settings import Settings

_TRIES = 3  # version numbers taken by a simultaneous regeneration of the same picture


async def owned(user: User, image_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await Image.select(Image.id, Image.description, Image.character, Image.status, Image.book)
        .where(Image.id == image_id, Image.owner == user.id)
        .first()
    )
    if row is None:
        raise NotFound("No such image.", code="image_not_found")
    return row


def _slot(row: dict[str, Any]) -> dict[str, Any]:
    return {"character": row["character"]} if row["character"] else {"description": row["description"]}


async def versions(user: User, image_id: uuid.UUID) -> list[ImageRead]:
    """Every version of the picture `image_id` belongs to, newest first."""
    row = await owned(user, image_id)
    return [await read_image(v["id"]) for v in await slot_rows(user.id, **_slot(row))]


async def regenerate(user: User, image_id: uuid.UUID, *, settings: Settings, queue: ArqRedis) -> ImageRead:
    """A new version of the picture (the reader's current style, the next version's seed), drawn from the
    same passage; 402/429 `quota_exceeded` as for a new picture."""
    row = await owned(user, image_id)
    await check_rate(user, settings, queue)
    await check_monthly_quota(user, settings)
    description = await description_row(row["description"], user.id)
    book = {"id": description["book"], "owner": user.id, "metadata": description["metadata"]}
    style = (await effective_style(user.id, book["id"], settings)).style
    bible = await character_bible(book["id"])
    for _ in range(_TRIES):
        newest = max(v["variant"] for v in await slot_rows(user.id, **_slot(row)))
        plan = await plan_for(
            description, book, bible, style, settings.image_provider, settings,
            portrait_of=row["character"], variant=newest + 1,
        )  # fmt: skip
        try:
            made = await upsert_image(
                user.id, description, plan, None, origin="request", settings=settings, queue=queue
            )
        except UniqueViolationError:
            continue
        return await read_image(made)
    raise Conflict("The picture is being regenerated already; try again.", code="regenerating")


async def pin(user: User, image_id: uuid.UUID) -> ImageRead:
    """Show this version of its picture from now on (a ready one; 409 `image_not_ready` otherwise)."""
    row = await owned(user, image_id)
    if row["status"] != "ready":
        raise Conflict("Only a ready picture can be pinned.", code="image_not_ready")
    ids = [v["id"] for v in await slot_rows(user.id, **_slot(row))]
    async with Image._meta.db.transaction():
        await Image.update({Image.pinned: False}).where(Image.id.is_in(ids), Image.pinned.eq(True))
        await Image.update({Image.pinned: True, Image.updated_at: datetime.now(UTC)}).where(
            Image.id == image_id
        )
    return await read_image(image_id)


async def unpin(user: User, image_id: uuid.UUID) -> ImageRead:
    """No version pinned: the picture shows its newest again (returned)."""
    row = await owned(user, image_id)
    rows = await slot_rows(user.id, **_slot(row))
    await Image.update({Image.pinned: False}).where(Image.id.is_in([v["id"] for v in rows]))
    shown = next((v for v in rows if v["status"] != "failed"), rows[0])
    return await read_image(shown["id"])
