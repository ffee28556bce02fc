"""What other domains add to a chapter response (descriptions, images). Kept in one place so the books
domain does not import every other domain."""

from __future__ import annotations

import msgspec

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions.tables import Description


async def chapter_extras(user: User, book: Book, number: int) -> tuple[list[dict], list[dict]]:
    rows = (
        await Description.select(
            Description.id,
            Description.chapter,
            Description.type,
            Description.text,
            Description.start,
            Description.end,
            Description.confidence,
            Description.priority,
            Description.entities,
        )
        .output(load_json=True)
        .where(Description.book == book.id, Description.chapter == number)
        .order_by(Description.start)
    )
    for row in rows:
        row["id"] = str(row["id"])
    from bookreader.domain.illustrations.service import chapter_images

    images = [msgspec.to_builtins(image) for image in await chapter_images(user.id, book.id, number)]
    return rows, images
