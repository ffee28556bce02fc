"""KOReader's "Register" (`POST /kosync/users/create`), when the operator allows it: a device password for an
existing account, made from the device, that signs in only once the account's owner approves it.

KOReader sends the user name and the md5 of the password typed on the device; nothing proves the sender owns
the account, so what it creates is a *pending* device password: it opens nothing until approved in the web UI
(Devices), and it is forgotten after `PENDING_HOURS`. The key is a person's choice, so it is stored peppered
(`registered_key_hash`). No account is ever created here: accounts are made in the web UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from bookreader.domain.accounts.service import normalize_email
from bookreader.domain.accounts.tables import User
from bookreader.domain.devices.service import PENDING_HOURS, key_hash, registered_key_hash
from bookreader.domain.devices.tables import DevicePassword
from bookreader.settings import Settings

MAX_PENDING = 3  # registrations waiting at once per account: a stranger cannot flood the owner's list
_MD5_HEX = re.compile(r"[0-9a-f]{32}")


class RegistrationRefused(Exception):
    """Why a registration was refused: `reason` is `invalid`, `no_account`, `taken` or `too_many`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


@dataclass(frozen=True, slots=True)
class Registered:
    email: str
    pending: bool  # False when the key already is one of the account's approved device passwords


async def register_device(username: str, md5_key: str, address: str, settings: Settings) -> Registered:
    key = md5_key.strip().lower()
    if not username or not _MD5_HEX.fullmatch(key):
        raise RegistrationRefused("invalid", "The user name and the password's md5 are required.")
    email = normalize_email(username)
    account = await User.objects().where(User.email == email).first()
    if account is None or account.disabled:
        raise RegistrationRefused(
            "no_account",
            "No BookReader account has this email: sign up in the web UI first, then register here.",
        )
    hashes = (key_hash(key), registered_key_hash(key, settings))
    existing = await DevicePassword.select(DevicePassword.owner, DevicePassword.pending).where(
        DevicePassword.key_hash.is_in(list(hashes))
    )
    if existing and existing[0]["owner"] != account.id:
        raise RegistrationRefused("taken", "This password is already registered; choose another one.")
    if existing:  # the device registers again: idempotent
        return Registered(email=email, pending=bool(existing[0]["pending"]))
    cutoff = datetime.now(UTC) - timedelta(hours=PENDING_HOURS)
    await DevicePassword.delete().where(
        DevicePassword.owner == account.id,
        DevicePassword.pending.eq(True),
        DevicePassword.created_at <= cutoff,
    )
    waiting = await DevicePassword.count().where(
        DevicePassword.owner == account.id, DevicePassword.pending.eq(True)
    )
    if waiting >= MAX_PENDING:
        raise RegistrationRefused(
            "too_many",
            "Too many devices are waiting for approval: approve or revoke them in the web UI first.",
        )
    try:
        await DevicePassword(
            owner=account.id, name="KOReader (registered from the device)", key_hash=hashes[1], pending=True,
            requested_from=address[:64],
        ).save()  # fmt: skip
    except asyncpg.UniqueViolationError:  # the same device registering twice at once: one row, as asked
        pass
    return Registered(email=email, pending=True)
