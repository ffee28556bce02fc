"""The calling user: `core.auth` checks the token and its session, this looks up the account in one query.

Registered once at app level as the `user` dependency (app.py); the admin guard (guards.py) looks the user up
first and leaves it on the connection, so a guarded handler still costs one query.
"""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection

from bookreader.core import db
from bookreader.core.auth import remember_session, verified_claims
from bookreader.core.errors import Unauthorized
from bookreader.domain.accounts.tables import User

USER_STATE = "user"
_USER_SQL = "SELECT {} FROM users WHERE id = $1".format(
    ", ".join(f'"{column._meta.db_column_name}"' for column in User._meta.columns)
)


async def current_user(connection: ASGIConnection) -> User:
    """The calling user (an active account with a valid, unrevoked token), or `Unauthorized`."""
    known = connection.scope.get("state", {}).get(USER_STATE)
    if known is not None:
        return known
    claims = await verified_claims(connection)
    row = await db.fetchrow(_USER_SQL, claims.user_id)
    if row is None or row["disabled"]:
        raise Unauthorized("The account is not active.", code="invalid_token")
    user = User(**dict(row), _exists_in_db=True)
    remember_session(connection, claims)
    connection.scope["state"][USER_STATE] = user
    return user


async def provide_user(request: Request) -> User:
    return await current_user(request)
