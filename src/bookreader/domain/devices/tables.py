from piccolo.columns import UUID, Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from bookreader.domain.accounts.tables import User


class DevicePassword(Table, tablename="device_passwords"):
    """A named password for e-readers and apps (OPDS, KOReader sync); only its hash is stored.

    `key_hash` is sha256 of the md5 hex of the password: KOReader sends that md5 (`x-auth-key`), HTTP Basic
    clients send the password itself, and both reduce to one indexed lookup. The passwords are random
    (128+ bits), so a fast hash is as safe as a slow one and keeps every cover request cheap. A key a device
    registered itself (KOReader's "Register", when the operator allows it) is a person's choice: it is stored
    peppered (`registered_key_hash`) and stays `pending` until the account's owner approves it in the web UI.
    """

    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False, index=True)
    name = Varchar(length=100)
    key_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    pending = Boolean(default=False)
    requested_from = Varchar(length=64, null=True, default=None)  # the registering client's address
