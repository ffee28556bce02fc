from __future__ import annotations

import uuid

import msgspec

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.service import get_book
from bookreader.domain.descriptions.schemas import CharacterRead, DescriptionRead
from bookreader.domain.descriptions.tables import Character, Description


async def list_descriptions(
    user: User, book_id: uuid.UUID, *, kind: str | None, chapter: int | None
) -> list[DescriptionRead]:
    book = await get_book(user, book_id)
    where = [Description.book == book.id]
    if kind:
        where.append(Description.type == kind)
    if chapter:
        where.append(Description.chapter == chapter)
    rows = (
        await Description.select(
            Description.id, Description.chapter, Description.type, Description.text, Description.start,
            Description.end, Description.confidence, Description.priority, Description.entities,
        )
        .output(load_json=True)
        .where(*where)
        .order_by(Description.chapter)
        .order_by(Description.start)
    )  # fmt: skip
    return msgspec.convert(rows, list[DescriptionRead])


async def list_characters(user: User, book_id: uuid.UUID) -> list[CharacterRead]:
    book = await get_book(user, book_id)
    rows = (
        await Character.select(
            Character.id, Character.name, Character.aliases, Character.mention_count, Character.first_chapter,
            Character.appearance,
        )
        .output(load_json=True)
        .where(Character.book == book.id)
        .order_by(Character.mention_count, ascending=False)
    )  # fmt: skip
    return msgspec.convert(rows, list[CharacterRead])
