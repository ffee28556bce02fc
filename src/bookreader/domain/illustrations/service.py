"""Illustrations: who may have which picture, in which style, within which quota; and when to make them.

Pictures are cached across users by `prompt_hash` (prompt + style + provider + size + model): a request whose
hash already has a file is ready at once; otherwise the `generate_image` job makes it (once, see jobs.py).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from arq.connections import ArqRedis
from arq.constants import result_key_prefix
from asyncpg.exceptions import UniqueViolationError

from bookreader.core.errors import InvalidInput, NotFound, QuotaExceeded, RateLimited
from bookreader.core.events import ImageStatusEvent, publish
from bookreader.core.queue import enqueue
from bookreader.core.storage import Storage
from bookreader.domain.accounts.plans import limits_for
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions.tables import Description
from bookreader.domain.illustrations.files import ensure_thumbnail, file_path, file_url
from bookreader.domain.illustrations.jobs import GenerateImage
from bookreader.domain.illustrations.prompting import Plan, character_bible, plan_for
from bookreader.domain.illustrations.schemas import ImageError, ImageRead, StyleRead
from bookreader.domain.illustrations.tables import Image, ImageFile, ImageStyle
from bookreader.domain.webhooks import events as webhook_events
from bookreader.imaging.prompts import STYLES
from bookreader.settings import Settings

log = logging.getLogger(__name__)


# --- reading -------------------------------------------------------------------------------------------

_IMAGE_COLUMNS = (
    Image.id, Image.description, Image.book, Image.chapter, Image.status, Image.prompt, Image.provider,
    Image.style, Image.error_code, Image.error_message, Image.created_at, Image.updated_at,
    Image.file.content_hash.as_alias("content_hash"), Image.file.media_type.as_alias("media_type"),
    Image.file.width.as_alias("file_width"), Image.file.height.as_alias("file_height"),
)  # fmt: skip


def image_read(row: dict[str, Any]) -> ImageRead:
    ready = row["status"] == "ready" and row.get("content_hash")
    url = file_url(row["content_hash"]) if ready else None
    error = ImageError(row["error_code"], row["error_message"] or "") if row["error_code"] else None
    return ImageRead(
        id=row["id"],
        description_id=row["description"],
        book_id=row["book"],
        chapter=row["chapter"],
        status=row["status"],
        url=url,
        thumbnail_url=f"{url}/thumbnail" if url else None,
        prompt=row["prompt"],
        provider=row["provider"],
        style=row["style"],
        error=error,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        media_type=row["media_type"] if ready else None,
        width=row["file_width"] if ready else None,
        height=row["file_height"] if ready else None,
    )


async def _read(image_id: uuid.UUID) -> ImageRead:
    row = await Image.select(*_IMAGE_COLUMNS).where(Image.id == image_id).first()
    if row is None:
        raise NotFound("No such image.", code="image_not_found")
    return image_read(row)


async def get_image(user: User, image_id: uuid.UUID) -> ImageRead:
    row = await Image.select(*_IMAGE_COLUMNS).where(Image.id == image_id, Image.owner == user.id).first()
    if row is None:
        raise NotFound("No such image.", code="image_not_found")
    return image_read(row)


async def list_book_images(user: User, book_id: uuid.UUID, chapter: int | None = None) -> list[ImageRead]:
    if not await Book.exists().where(Book.id == book_id, Book.owner == user.id):
        raise NotFound("No such book.", code="book_not_found")
    return await chapter_images(user.id, book_id, chapter)


async def chapter_images(user_id: uuid.UUID, book_id: uuid.UUID, chapter: int | None) -> list[ImageRead]:
    where = [Image.owner == user_id, Image.book == book_id]
    if chapter is not None:
        where.append(Image.chapter == chapter)
    rows = (
        await Image.select(*_IMAGE_COLUMNS).where(*where).order_by(Image.chapter).order_by(Image.created_at)
    )
    return [image_read(row) for row in rows]


async def file_for(user: User, storage: Storage, content_hash: str, *, thumbnail: bool) -> tuple[Path, str]:
    """The file behind an image URL, only for a user who owns a book that uses it (others: 404)."""
    row = (
        await Image.select(Image.file.media_type.as_alias("media_type"))
        .where(Image.owner == user.id, Image.status == "ready", Image.file.content_hash == content_hash)
        .first()
    )
    if row is None:
        raise NotFound("No such image.", code="image_not_found")
    if thumbnail:
        path, media_type = await ensure_thumbnail(storage, content_hash, row["media_type"]), "image/webp"
    else:
        path, media_type = file_path(storage, content_hash, row["media_type"]), row["media_type"]
    if not path.is_file():
        raise NotFound("The image file is missing.", code="image_file_missing")
    return path, media_type


# --- styles --------------------------------------------------------------------------------------------


def check_style(style: str) -> str:
    if style not in STYLES:
        raise InvalidInput(
            f"Unknown style {style!r}; choose one of {', '.join(STYLES)}.", code="unknown_style"
        )
    return style


async def effective_style(user_id: uuid.UUID, book_id: uuid.UUID | None, settings: Settings) -> StyleRead:
    rows = await ImageStyle.select(ImageStyle.book, ImageStyle.style).where(ImageStyle.owner == user_id)
    by_book = {row["book"]: row["style"] for row in rows}
    if book_id is not None and book_id in by_book:
        return StyleRead(by_book[book_id], "book")
    if None in by_book:
        return StyleRead(by_book[None], "user")
    return StyleRead(settings.image_style if settings.image_style in STYLES else "watercolor", "default")


async def book_style(user: User, book_id: uuid.UUID, settings: Settings) -> StyleRead:
    if not await Book.exists().where(Book.id == book_id, Book.owner == user.id):
        raise NotFound("No such book.", code="book_not_found")
    return await effective_style(user.id, book_id, settings)


async def set_style(
    user: User, book_id: uuid.UUID | None, style: str | None, settings: Settings
) -> StyleRead:
    if book_id is not None and not await Book.exists().where(Book.id == book_id, Book.owner == user.id):
        raise NotFound("No such book.", code="book_not_found")
    where = [ImageStyle.owner == user.id]
    where.append(ImageStyle.book.is_null() if book_id is None else ImageStyle.book == book_id)
    async with ImageStyle._meta.db.transaction():
        await ImageStyle.delete().where(*where)
        if style is not None:
            await ImageStyle.insert(ImageStyle(owner=user.id, book=book_id, style=check_style(style)))
    return await effective_style(user.id, book_id, settings)


# --- quotas --------------------------------------------------------------------------------------------


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def images_this_month(user_id: uuid.UUID) -> int:
    """Pictures that count against the plan: asked for (or illustrated ahead) this month, not failed."""
    return await Image.count().where(
        Image.owner == user_id,
        Image.created_at >= _month_start(datetime.now(UTC)),
        Image.origin != "pregen",
        Image.status != "failed",
    )


async def check_monthly_quota(user: User, settings: Settings, wanted: int = 1) -> int | None:
    """Raise 402 when `wanted` more would pass the plan's monthly allowance; return what is left."""
    limit = limits_for(user.plan, settings).images_per_month
    if limit is None:
        return None
    left = limit - await images_this_month(user.id)
    if left < wanted:
        raise QuotaExceeded(
            f"Your plan allows {limit} images a month; they are used up.", code="quota_exceeded"
        )
    return left


async def check_rate(user: User, settings: Settings, redis: ArqRedis) -> None:
    """At most `image_rate_per_minute` requests per user per calendar minute (admins unlimited)."""
    limit = settings.image_rate_per_minute
    if not limit or user.plan == "admin" or user.role == "admin":
        return
    minute = int(time.time() // 60)
    key = f"{settings.events_prefix}:image-rate:{user.id}:{minute}"
    count = await redis.incr(key)
    if count == 1:
        await redis.expire(key, 120)
    if count > limit:
        retry_after = str(60 - int(time.time()) % 60)
        raise RateLimited(
            f"At most {limit} image requests a minute; try again shortly.",
            code="quota_exceeded",
            headers={"Retry-After": retry_after},
        )


# --- requesting ----------------------------------------------------------------------------------------


async def _description(description_id: uuid.UUID, owner: uuid.UUID) -> dict[str, Any]:
    row = (
        await Description.select(
            Description.id, Description.book, Description.chapter, Description.type, Description.text,
            Description.entities, Description.book.owner.as_alias("owner"),
            Description.book.metadata.as_alias("metadata"),
        )
        .output(load_json=True)
        .where(Description.id == description_id, Description.book.owner == owner)
        .first()
    )  # fmt: skip
    if row is None:
        raise NotFound("No such description.", code="description_not_found")
    return row


async def _book(book_id: uuid.UUID) -> dict[str, Any]:
    return (
        await Book.select(Book.id, Book.owner, Book.metadata)
        .output(load_json=True)
        .where(Book.id == book_id)
        .first()
    )


async def request_image(
    user: User, description_id: uuid.UUID, *, settings: Settings, queue: ArqRedis
) -> tuple[ImageRead, bool]:
    """POST …/descriptions/{id}/image. Returns (image, started): False when an up-to-date one exists."""
    description = await _description(description_id, user.id)
    await check_rate(user, settings, queue)
    book = {"id": description["book"], "owner": user.id, "metadata": description["metadata"]}
    style = (await effective_style(user.id, book["id"], settings)).style
    plan = plan_for(
        description, book, await character_bible(book["id"]), style, settings.image_provider, settings
    )
    existing = (
        await Image.select(Image.id, Image.prompt_hash, Image.status, Image.origin)
        .where(Image.owner == user.id, Image.description == description_id)
        .first()
    )
    up_to_date = existing and existing["prompt_hash"] == plan.prompt_hash and existing["status"] != "failed"
    if up_to_date and existing["origin"] != "pregen":
        return await _read(existing["id"]), False
    await check_monthly_quota(user, settings)
    # a matching pre-generated picture is only re-labelled as asked for (and counted): nothing starts
    image_id = await _upsert(
        user.id, description, plan, existing, origin="request", settings=settings, queue=queue
    )
    return await _read(image_id), not up_to_date


async def _upsert(
    owner: uuid.UUID,
    description: dict[str, Any],
    plan: Plan,
    existing: dict[str, Any] | None,
    *,
    origin: str,
    settings: Settings,
    queue: ArqRedis,
) -> uuid.UUID:
    """Create or refresh the owner's image of `description` to `plan`, then make it ready from the cache
    or queue its generation. A pregen row that already matches is only re-labelled (now counted)."""
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
        Image.origin: origin,
        Image.updated_at: now,
    }
    if existing is None:
        image_id = uuid.uuid4()
        row = Image(
            id=image_id, owner=owner, book=description["book"], description=description["id"],
            chapter=description["chapter"], kind=description["type"], status="queued", created_at=now,
            **{column._meta.name: value for column, value in values.items()},
        )  # fmt: skip
        try:
            await Image.insert(row)
        except UniqueViolationError:  # the same description asked for twice at once: one row wins
            winner = (
                await Image.select(Image.id)
                .where(Image.owner == owner, Image.description == description["id"])
                .first()
            )
            return winner["id"]
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
    await _start(image_id, owner, description, plan.prompt_hash, settings=settings, queue=queue)
    return image_id


async def _start(
    image_id: uuid.UUID,
    owner: uuid.UUID,
    description: dict[str, Any],
    digest: str,
    *,
    settings: Settings,
    queue: ArqRedis,
) -> None:
    """Ready at once from the cache, or queue the job."""
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
        )
        await publish(queue, settings.events_prefix, owner, event)
        row = {"id": image_id, "book": book_id, "description": description_id, "owner": owner}
        await webhook_events.image_status(queue, row, "ready", event.url)  # recorded here, sent by the worker
        return
    payload = GenerateImage(image_id=str(image_id))
    # a finished job keeps its result for a while, and arq refuses the same id until it expires
    await queue.delete(f"{result_key_prefix}{payload.job_id()}")
    await enqueue(queue, payload)
    event = ImageStatusEvent(str(image_id), book_id, "queued", description_id=description_id)
    await publish(queue, settings.events_prefix, owner, event)


# --- automatic illustration ----------------------------------------------------------------------------


async def _best_unillustrated(owner: uuid.UUID, book_id: uuid.UUID, chapters: list[int], per_chapter: int):
    have = {
        row["description"]
        for row in await Image.select(Image.description).where(
            Image.owner == owner, Image.book == book_id, Image.chapter.is_in(chapters)
        )
    }
    rows = (
        await Description.select(
            Description.id, Description.book, Description.chapter, Description.type, Description.text,
            Description.entities,
        )
        .output(load_json=True)
        .where(Description.book == book_id, Description.chapter.is_in(chapters))
        .order_by(Description.priority, ascending=False)
    )  # fmt: skip
    picked: dict[int, list[dict]] = {c: [] for c in chapters}
    taken = {c: 0 for c in chapters}
    for row in rows:
        if row["id"] in have:
            taken[row["chapter"]] += 1
            continue
        if taken[row["chapter"]] + len(picked[row["chapter"]]) < per_chapter:
            picked[row["chapter"]].append(row)
    return [row for c in chapters for row in picked[c]]


async def illustrate_ahead(
    user_id: uuid.UUID, book_id: uuid.UUID, chapter: int, *, settings: Settings, queue: ArqRedis
) -> list[uuid.UUID]:
    """Queue pictures for the best descriptions of the reader's current chapter and the next
    `illustrate_ahead_chapters`, up to `illustrate_ahead_per_chapter` per chapter (counting ones that exist).
    Within the monthly quota (stops quietly at it); returns the ids of the images it started."""
    user = await User.objects().where(User.id == user_id).first()
    book = await _book(book_id)
    if user is None or book is None or book["owner"] != user_id or settings.illustrate_ahead_per_chapter <= 0:
        return []
    chapters = list(range(max(1, chapter), max(1, chapter) + settings.illustrate_ahead_chapters + 1))
    wanted = await _best_unillustrated(user_id, book_id, chapters, settings.illustrate_ahead_per_chapter)
    if not wanted:
        return []
    try:
        left = await check_monthly_quota(user, settings)
    except QuotaExceeded:
        return []
    if left is not None:
        wanted = wanted[:left]
    style = (await effective_style(user_id, book_id, settings)).style
    bible = await character_bible(book_id)
    started = []
    for description in wanted:
        plan = plan_for(description, book, bible, style, settings.image_provider, settings)
        started.append(
            await _upsert(user_id, description, plan, None, origin="ahead", settings=settings, queue=queue)
        )
    return started


async def pregenerate(book_id: uuid.UUID, *, settings: Settings, queue: ArqRedis) -> list[uuid.UUID]:
    """A freshly analyzed book gets placeholder pictures for the best few descriptions of its first chapter
    with any, so a fresh install shows pictures without any key. Free of quota; never fails the caller."""
    if settings.image_pregenerate <= 0:
        return []
    try:
        return await _pregenerate(book_id, settings=settings, queue=queue)
    except Exception:
        log.exception("pre-generating pictures for book %s failed", book_id)
        return []


async def _pregenerate(book_id: uuid.UUID, *, settings: Settings, queue: ArqRedis) -> list[uuid.UUID]:
    book = await _book(book_id)
    if book is None:
        return []
    first = (
        await Description.select(Description.chapter)
        .where(Description.book == book_id)
        .order_by(Description.chapter)
        .first()
    )
    if first is None:
        return []
    wanted = await _best_unillustrated(book["owner"], book_id, [first["chapter"]], settings.image_pregenerate)
    style = (await effective_style(book["owner"], book_id, settings)).style
    bible = await character_bible(book_id)
    started = []
    for description in wanted:
        plan = plan_for(description, book, bible, style, "placeholder", settings)
        started.append(
            await _upsert(
                book["owner"], description, plan, None, origin="pregen", settings=settings, queue=queue
            )
        )
    return started
