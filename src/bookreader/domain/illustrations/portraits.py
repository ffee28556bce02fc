"""Portraits: a character's picture, drawn from a passage describing them with their canonical appearance text
and their seed (book, character, style) — and the reference picture that scenes with them are drawn from by
providers that take one. Made on demand (`request_portrait`) or, for the most-mentioned characters, ahead
once a book's analysis is done (the `portraits_ahead` job; within the plan, never on a request's path)."""

from __future__ import annotations

import hashlib
import logging
import uuid

from arq.connections import ArqRedis
from asyncpg.exceptions import UniqueViolationError

from bookreader.core.errors import Conflict, NotFound, QuotaExceeded
from bookreader.core.jobs import JobContext
from bookreader.core.queue import JobPayload, enqueue
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.service import get_book
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions.cast import Bound, first_passages, portrait_passage_of, shown_portraits
from bookreader.domain.descriptions.tables import Character
from bookreader.domain.illustrations.prompting import character_bible, plan_for
from bookreader.domain.illustrations.quota import check_monthly_quota, check_rate
from bookreader.domain.illustrations.requesting import description_row, slot_rows, upsert_image
from bookreader.domain.illustrations.schemas import ImageRead
from bookreader.domain.illustrations.service import read_image
from bookreader.domain.illustrations.styles import effective_style
from bookreader.domain.illustrations.tables import Image
from bookreader.settings import Settings

log = logging.getLogger(__name__)


async def make_portrait(
    owner: uuid.UUID,
    character_id: uuid.UUID,
    description_id: uuid.UUID,
    *,
    origin: str,
    settings: Settings,
    queue: ArqRedis,
) -> uuid.UUID:
    """Add a version of the character's portrait drawn from `description_id` (queued or ready from cache)."""
    description = await description_row(description_id, owner)
    book = {"id": description["book"], "owner": owner, "metadata": description["metadata"]}
    style = (await effective_style(owner, book["id"], settings)).style
    bible = await character_bible(book["id"])
    for _ in range(3):
        rows = await slot_rows(owner, character=character_id)
        plan = await plan_for(
            description, book, bible, style, settings.image_provider, settings,
            portrait_of=character_id, variant=rows[0]["variant"] + 1 if rows else 0,
        )  # fmt: skip
        try:
            return await upsert_image(
                owner, description, plan, None, origin=origin, settings=settings, queue=queue
            )
        except UniqueViolationError:  # another version was added meanwhile: take the next number
            continue
    raise Conflict("The portrait is being made already; try again.", code="regenerating")


async def request_portrait(
    user: User,
    book_id: uuid.UUID,
    character_id: uuid.UUID,
    bound: Bound,
    *,
    settings: Settings,
    queue: ArqRedis,
) -> tuple[ImageRead, bool]:
    """POST …/characters/{id}/portrait: the portrait shown at the bound (200), else a new one drawn from the
    passage read so far that describes them (202; 409 `no_appearance` when none; counts against the plan)."""
    passage = await portrait_passage_of(user, book_id, character_id, bound)  # 404 / 409 first
    shown = (await shown_portraits(user.id, [character_id], bound)).get(character_id)
    if shown is not None and shown["status"] != "failed":
        return await read_image(shown["id"]), False
    await check_rate(user, settings, queue)
    await check_monthly_quota(user, settings)
    made = await make_portrait(
        user.id, character_id, passage, origin="request", settings=settings, queue=queue
    )
    return await read_image(made), True


async def _character(user: User, book_id: uuid.UUID, character_id: uuid.UUID) -> None:
    book = await get_book(user, book_id)  # 404 book_not_found for others
    if not await Character.exists().where(Character.id == character_id, Character.book == book.id):
        raise NotFound("No such character.", code="character_not_found")


async def shown_portrait_id(
    user: User, book_id: uuid.UUID, character_id: uuid.UUID, bound: Bound
) -> uuid.UUID:
    await _character(user, book_id, character_id)
    shown = (await shown_portraits(user.id, [character_id], bound)).get(character_id)
    if shown is None:
        raise Conflict("This character has no portrait yet.", code="no_portrait")
    return shown["id"]


async def portrait_versions(
    user: User, book_id: uuid.UUID, character_id: uuid.UUID, bound: Bound
) -> list[ImageRead]:
    """Every version of the portrait drawn from a passage at or before the bound, newest first."""
    await _character(user, book_id, character_id)
    rows = (
        await Image.select(Image.id, Image.description.chapter.as_alias("chapter"), Image.description.end)
        .where(Image.owner == user.id, Image.character == character_id)
        .order_by(Image.variant, ascending=False)
    )
    return [await read_image(r["id"]) for r in rows if bound.covers(r["chapter"], r["description.end"])]


async def check_portrait(
    user: User, book_id: uuid.UUID, character_id: uuid.UUID, image_id: uuid.UUID
) -> None:
    """404 unless `image_id` is a version of this reader's portrait of the character."""
    await _character(user, book_id, character_id)
    if not await Image.exists().where(
        Image.id == image_id, Image.owner == user.id, Image.character == character_id
    ):
        raise NotFound("No such portrait.", code="image_not_found")


class PortraitsAhead(JobPayload, frozen=True):
    """Portraits of a book's most-mentioned characters. The id is the content it makes: the same
    characters from the same passages are one job, however often the analysis finishes."""

    function = "portraits_ahead"
    book_id: str
    content: str  # sha256 of the (character, passage) pairs

    def job_id(self) -> str:
        return f"portraits_ahead:{self.book_id}:{self.content}"


async def _wanted(book_id: uuid.UUID, count: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(character, first passage describing them) of the `count` most-mentioned characters with one."""
    rows = (
        await Character.select(Character.id, Character.name)
        .where(Character.book == book_id, Character.kind == "character")
        .order_by(Character.mention_count, ascending=False)
        .order_by(Character.name)
        .limit(max(count * 4, 12))  # some are never described
    )
    passages = await first_passages(book_id, [row["name"] for row in rows])
    return [(row["id"], passages[row["name"]]) for row in rows if row["name"] in passages][:count]


async def queue_portraits_ahead(book_id: uuid.UUID, *, settings: Settings, queue: ArqRedis) -> bool:
    """After an analysis: queue the job (once per content). Never fails the caller."""
    if settings.portraits_ahead <= 0:
        return False
    try:
        wanted = await _wanted(book_id, settings.portraits_ahead)
        if not wanted:
            return False
        content = hashlib.sha256("|".join(f"{c}:{d}" for c, d in wanted).encode()).hexdigest()
        return bool(await enqueue(queue, PortraitsAhead(book_id=str(book_id), content=content)))
    except Exception:
        log.exception("queueing portraits ahead for book %s failed", book_id)
        return False


async def portraits_ahead(ctx: JobContext, raw: dict) -> str:
    """Make the missing portraits (a character with one, in any state but failed, keeps it: a second run adds
    nothing), within the owner's monthly quota (stops quietly at it)."""
    job = PortraitsAhead.load(raw)
    settings: Settings = ctx["settings"]
    book_id = uuid.UUID(job.book_id)
    book = await Book.select(Book.owner).where(Book.id == book_id).first()
    user = await User.objects().where(User.id == book["owner"]).first() if book else None
    if user is None:
        return "skipped: no such book"
    made = 0
    for character_id, passage in await _wanted(book_id, settings.portraits_ahead):
        have = await slot_rows(user.id, character=character_id)
        if any(row["status"] != "failed" for row in have):
            continue
        try:
            await check_monthly_quota(user, settings)
        except QuotaExceeded:
            return f"made {made}; the plan's monthly pictures are used up"
        await make_portrait(
            user.id, character_id, passage, origin="ahead", settings=settings, queue=ctx["redis"]
        )
        made += 1
    return f"made {made}"


FUNCTIONS = [portraits_ahead]
