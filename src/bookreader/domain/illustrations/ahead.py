"""Pictures made before anyone asks: illustrate-ahead of the reader's position (within the quota) and the
free placeholder pictures of a freshly analyzed book's first chapter."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from arq.connections import ArqRedis

from bookreader.core.errors import QuotaExceeded
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions.tables import Description
from bookreader.domain.illustrations.prompting import character_bible, plan_for
from bookreader.domain.illustrations.quota import check_monthly_quota
from bookreader.domain.illustrations.requesting import upsert_image
from bookreader.domain.illustrations.styles import effective_style
from bookreader.domain.illustrations.tables import Image
from bookreader.settings import Settings

log = logging.getLogger(__name__)


async def _book(book_id: uuid.UUID) -> dict[str, Any]:
    return (
        await Book.select(Book.id, Book.owner, Book.metadata)
        .output(load_json=True)
        .where(Book.id == book_id)
        .first()
    )


async def _best_unillustrated(owner: uuid.UUID, book_id: uuid.UUID, chapters: list[int], per_chapter: int):
    have = {
        row["description"]
        for row in await Image.select(Image.description).where(
            Image.owner == owner,
            Image.book == book_id,
            Image.chapter.is_in(chapters),
            Image.character.is_null(),  # a portrait drawn from a passage is not its scene picture
        )
    }
    rows = (
        await Description.select(
            Description.id, Description.book, Description.chapter, Description.end, Description.type, Description.text,
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
        plan = await plan_for(description, book, bible, style, settings.image_provider, settings)
        started.append(
            await upsert_image(
                user_id, description, plan, None, origin="ahead", settings=settings, queue=queue
            )
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
        plan = await plan_for(description, book, bible, style, "placeholder", settings)
        started.append(
            await upsert_image(
                book["owner"], description, plan, None, origin="pregen", settings=settings, queue=queue
            )
        )
    return started
