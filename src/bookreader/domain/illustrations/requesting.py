"""A reader asks for the picture of one description: plan it, reuse an up-to-date one, else create or refresh
the row and make it ready from the cross-user cache or queue its generation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from arq.constants import result_key_prefix
from asyncpg.exceptions import UniqueViolationError

from bookreader.core.errors import NotFound
from bookreader.core.events import ImageStatusEvent, publish
from bookreader.core.queue import enqueue
from bookreader.domain.accounts.tables import User
from bookreader.domain.descriptions.tables import Description
from bookreader.domain.illustrations.files import file_url
from bookreader.domain.illustrations.jobs import GenerateImage
from bookreader.domain.illustrations.prompting import Plan, character_bible, plan_for
from bookreader.domain.illustrations.quota import check_monthly_quota, check_rate
from bookreader.domain.illustrations.schemas import ImageRead
from bookreader.domain.illustrations.service import read_image
from bookreader.domain.illustrations.styles import effective_style
from bookreader.domain.illustrations.tables import Image, ImageFile
from bookreader.domain.webhooks import events as webhook_events
from bookreader.settings import Settings


async def description_row(description_id: uuid.UUID, owner: uuid.UUID) -> dict[str, Any]:
    row = (
        await Description.select(
            Description.id, Description.book, Description.chapter, Description.end, Description.type,
            Description.text, Description.entities, Description.book.owner.as_alias("owner"),
            Description.book.metadata.as_alias("metadata"),
        )
        .output(load_json=True)
        .where(Description.id == description_id, Description.book.owner == owner)
        .first()
    )  # fmt: skip
    if row is None:
        raise NotFound("No such description.", code="description_not_found")
    return row


async def slot_rows(owner: uuid.UUID, *, description: Any = None, character: Any = None) -> list[dict]:
    """Every version of one picture — a description's scene, or a character's portrait — newest first."""
    where = [Image.owner == owner]
    if character is not None:
        where.append(Image.character == character)
    else:
        where += [Image.description == description, Image.character.is_null()]
    return (
        await Image.select(
            Image.id, Image.prompt_hash, Image.status, Image.origin, Image.variant, Image.pinned,
            Image.description, Image.character,
        )
        .where(*where)
        .order_by(Image.variant, ascending=False)
    )  # fmt: skip


async def request_image(
    user: User, description_id: uuid.UUID, *, settings: Settings, queue: ArqRedis
) -> tuple[ImageRead, bool]:
    """POST …/descriptions/{id}/image. Returns (image, started): False when an up-to-date one exists.
    The newest version is the one kept up to date; the answer is the version shown (pinned, else that)."""
    description = await description_row(description_id, user.id)
    await check_rate(user, settings, queue)
    book = {"id": description["book"], "owner": user.id, "metadata": description["metadata"]}
    style = (await effective_style(user.id, book["id"], settings)).style
    versions = await slot_rows(user.id, description=description_id)
    newest = versions[0] if versions else None
    pinned = next((v["id"] for v in versions if v["pinned"]), None)
    plan = await plan_for(
        description, book, await character_bible(book["id"]), style, settings.image_provider, settings,
        variant=newest["variant"] if newest else 0,
    )  # fmt: skip
    up_to_date = newest and newest["prompt_hash"] == plan.prompt_hash and newest["status"] != "failed"
    if up_to_date and newest["origin"] != "pregen":
        return await read_image(pinned or newest["id"]), False
    await check_monthly_quota(user, settings)
    # a matching pre-generated picture is only re-labelled as asked for (and counted): nothing starts
    image_id = await upsert_image(
        user.id, description, plan, newest, origin="request", settings=settings, queue=queue
    )
    return await read_image(pinned or image_id), not up_to_date


async def upsert_image(
    owner: uuid.UUID,
    description: dict[str, Any],
    plan: Plan,
    existing: dict[str, Any] | None,
    *,
    origin: str,
    settings: Settings,
    queue: ArqRedis,
) -> uuid.UUID:
    """Refresh the version `existing` to `plan`, or (None) add version `plan.variant` of the picture, then
    make it ready from the cache or queue its generation. A pregen row that already matches is only
    re-labelled (now counted). Raises UniqueViolationError only for a version number taken meanwhile by a
    regeneration (`versions.regenerate` tries the next one)."""
    now = datetime.now(UTC)
    values = {
        Image.prompt: plan.prompt,
        Image.negative_prompt: plan.negative_prompt,
        Image.style: plan.style,
        Image.provider: plan.provider,
        Image.model: plan.model,
        Image.width: plan.width,
        Image.height: plan.height,
        Image.seed: plan.seed,
        Image.prompt_hash: plan.prompt_hash,
        Image.reference_hash: plan.reference_hash,
        Image.origin: origin,
        Image.updated_at: now,
    }
    if existing is None:
        image_id = uuid.uuid4()
        row = Image(
            id=image_id, owner=owner, book=description["book"], description=description["id"],
            chapter=description["chapter"], kind=description["type"], status="queued", created_at=now,
            character=plan.portrait_of, variant=plan.variant,
            **{column._meta.name: value for column, value in values.items()},
        )  # fmt: skip
        try:
            await Image.insert(row)
        except UniqueViolationError:  # the same picture asked for twice at once: one row wins
            if plan.variant:
                raise
            slot = {"character": plan.portrait_of} if plan.portrait_of else {"description": description["id"]}
            return next(r["id"] for r in await slot_rows(owner, **slot) if r["variant"] == 0)
    else:
        image_id = existing["id"]
        if existing["prompt_hash"] == plan.prompt_hash and existing["status"] != "failed":
            await Image.update({Image.origin: origin, Image.created_at: now}).where(Image.id == image_id)
            return image_id
        values.update({
            Image.status: "queued", Image.file: None, Image.error_code: None, Image.error_message: None,
            Image.attempts: 0, Image.created_at: now,
        })  # fmt: skip
        await Image.update(values).where(Image.id == image_id)
    await start_image(image_id, owner, description, plan, settings=settings, queue=queue)
    return image_id


async def start_image(
    image_id: uuid.UUID,
    owner: uuid.UUID,
    description: dict[str, Any],
    plan: Plan,
    *,
    settings: Settings,
    queue: ArqRedis,
) -> None:
    """Ready at once from the cache, or queue the job."""
    digest = plan.prompt_hash
    character_id, version = (str(plan.portrait_of) if plan.portrait_of else None), plan.variant + 1
    book_id, description_id = str(description["book"]), str(description["id"])
    cached = (
        await ImageFile.select(ImageFile.id, ImageFile.content_hash)
        .where(ImageFile.prompt_hash == digest)
        .first()
    )
    if cached is not None:  # someone made this exact picture already
        await Image.update(
            {Image.status: "ready", Image.file: cached["id"], Image.updated_at: datetime.now(UTC)}
        ).where(Image.id == image_id)
        event = ImageStatusEvent(
            str(image_id),
            book_id,
            "ready",
            description_id=description_id,
            url=file_url(cached["content_hash"]),
            character_id=character_id,
            version=version,
        )
        await publish(queue, settings.events_prefix, owner, event)
        row = {"id": image_id, "book": book_id, "description": description_id, "owner": owner}
        await webhook_events.image_status(queue, row, "ready", event.url)  # recorded here, sent by the worker
        return
    payload = GenerateImage(image_id=str(image_id))
    # a finished job keeps its result for a while, and arq refuses the same id until it expires
    await queue.delete(f"{result_key_prefix}{payload.job_id()}")
    await enqueue(queue, payload)
    event = ImageStatusEvent(
        str(image_id),
        book_id,
        "queued",
        description_id=description_id,
        character_id=character_id,
        version=version,
    )
    await publish(queue, settings.events_prefix, owner, event)
