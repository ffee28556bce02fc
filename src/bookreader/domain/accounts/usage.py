"""What a user has used of their plan."""

from __future__ import annotations

from bookreader.domain.accounts.plans import limits_for
from bookreader.domain.accounts.schemas import Usage
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book
from bookreader.domain.illustrations.quota import images_this_month
from bookreader.settings import Settings


async def usage_for(user: User, settings: Settings) -> Usage:
    limits = limits_for(user.plan, settings)
    books = await Book.count().where(Book.owner == user.id)
    return Usage(
        books=books,
        books_limit=limits.books,
        images_this_month=await images_this_month(user.id),
        images_per_month_limit=limits.images_per_month,
    )
