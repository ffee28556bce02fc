from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

DeviceName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class DevicePasswordCreate(msgspec.Struct):
    name: DeviceName


class DevicePasswordCreated(msgspec.Struct, kw_only=True):
    """The answer to a create: the only time the password is shown."""

    id: uuid.UUID
    name: str
    password: str
    created_at: datetime
    username: str  # what to type as the user name on the device: the account's email


class DevicePasswordRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    pending: bool = False  # registered from a device (KOReader), signs in only once approved
    requested_from: str | None = None  # the address it registered from
    expires_at: datetime | None = None  # a pending one is forgotten then
