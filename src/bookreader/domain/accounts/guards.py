"""Route guards: who may reach a handler at all (Litestar runs guards before the handler's dependencies)."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from bookreader.core.errors import Forbidden
from bookreader.domain.accounts.deps import current_user


async def admins_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """401 without a valid token, 403 for anyone but an admin. The user it looked up stays on the connection,
    so the handler's `user` dependency costs no second query."""
    user = await current_user(connection)
    if user.role != "admin":
        raise Forbidden("Administrators only.")
