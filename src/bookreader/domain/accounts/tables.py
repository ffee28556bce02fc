from piccolo.columns import UUID, Boolean, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="users"):
    id = UUID(primary_key=True)
    email = Varchar(length=320, unique=True)  # stored lower-cased
    password_hash = Text()
    display_name = Varchar(length=200, default="")
    role = Varchar(length=16, default="user")  # user | admin
    plan = Varchar(length=16, default="free")  # free | premium | admin
    disabled = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class RefreshToken(Table, tablename="refresh_tokens"):
    """One row per issued refresh token; tokens of one login chain share a `family_id`."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    family_id = UUID(index=True)
    token_hash = Varchar(length=64, unique=True)  # sha256 hex of the opaque token
    expires_at = Timestamptz(index=True)
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PasswordReset(Table, tablename="password_resets"):
    """A one-time password reset token an admin issued (stored hashed); the admin hands the link over."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
