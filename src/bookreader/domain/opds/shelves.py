"""The user's shelves in the catalog: one acquisition entry per shelf on the root, `shelf?id=` lists its books
(manual shelves in their order, smart shelves by their saved filter)."""

from __future__ import annotations

import uuid

from bookreader.domain.accounts.tables import User
from bookreader.domain.opds.schemas import BookEntry, NavItem
from bookreader.domain.opds.service import PER_PAGE, _entry, exports_ready
from bookreader.domain.shelves.service import get_shelf, list_shelves, shelf_books, shelf_read


async def shelf_items(user: User) -> list[NavItem]:
    items = []
    for shelf in await list_shelves(user):
        read = await shelf_read(shelf)
        summary = "Smart shelf" if shelf.kind == "smart" else "Shelf"
        items.append(NavItem(key=f"shelf:{shelf.id}", title=shelf.name, href=f"shelf?id={shelf.id}",
                             summary=f"{summary}: {read.book_count} books", count=read.book_count))  # fmt: skip
    return items


async def shelf_page(user: User, raw_id: str, page: int) -> tuple[str, list[BookEntry], int]:
    """(shelf name, one page of its books, how many in all); NotFound for a shelf not the user's."""
    try:
        shelf_id = uuid.UUID(raw_id)
    except ValueError:
        shelf_id = uuid.UUID(int=0)
    shelf = await get_shelf(user, shelf_id)
    books, total = await shelf_books(
        user, shelf.id, sort=None, descending=None, limit=PER_PAGE, offset=(max(1, page) - 1) * PER_PAGE
    )
    exports = await exports_ready(user.id, [b.id for b in books])
    return shelf.name, [_entry(book.to_dict(), exports) for book in books], total
