"""The catalog's navigation: the root's sections, and hooks to add more.

`ROOT_SECTIONS` are fixed; `ROOT_PROVIDERS` are async callables `(user) -> list[NavItem]` appended after them
(shelves add one: each shelf an acquisition entry). Both OPDS versions render the same items.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bookreader.domain.accounts.tables import User
from bookreader.domain.opds.schemas import NavItem
from bookreader.domain.opds.shelves import shelf_items

ROOT_SECTIONS: list[NavItem] = [
    NavItem(key="recent", title="Recently added", href="recent", summary="The newest books first"),
    NavItem(key="all", title="All books", href="all", summary="Every book by title"),
    NavItem(key="authors", title="By author", href="authors", kind="navigation", summary="Books by author"),
    NavItem(key="series", title="By series", href="series", kind="navigation", summary="Books by series"),
    NavItem(key="languages", title="By language", href="languages", kind="navigation", summary="By language"),
]

NavigationProvider = Callable[[User], Awaitable[list[NavItem]]]
ROOT_PROVIDERS: list[NavigationProvider] = [shelf_items]


async def root_items(user: User) -> list[NavItem]:
    items = list(ROOT_SECTIONS)
    for provider in ROOT_PROVIDERS:
        items.extend(await provider(user))
    return items
