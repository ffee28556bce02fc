from __future__ import annotations

import uuid

from litestar import Controller, delete, get, post
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from bookreader.domain.accounts.tables import User
from bookreader.domain.devices import service
from bookreader.domain.devices.schemas import DevicePasswordCreate, DevicePasswordCreated, DevicePasswordRead


class DevicePasswordController(Controller):
    """Passwords for e-readers and reading apps: they open OPDS and KOReader sync, nothing else."""

    path = "/api/v1/device-passwords"
    tags = ["devices"]

    @post("/", operation_id="createDevicePassword", status_code=HTTP_201_CREATED)
    async def create(self, user: User, data: DevicePasswordCreate) -> DevicePasswordCreated:
        return await service.create(user, data.name)

    @get("/", operation_id="listDevicePasswords")
    async def list_passwords(self, user: User) -> list[DevicePasswordRead]:
        return await service.list_for(user)

    @post("/{password_id:uuid}/approve", operation_id="approveDevicePassword", status_code=200)
    async def approve(self, user: User, password_id: uuid.UUID) -> DevicePasswordRead:
        """Let in a device that registered itself from KOReader (it waits, `pending`, until then)."""
        return await service.approve(user, password_id)

    @delete("/{password_id:uuid}", operation_id="revokeDevicePassword", status_code=HTTP_204_NO_CONTENT)
    async def revoke(self, user: User, password_id: uuid.UUID) -> None:
        await service.revoke(user, password_id)
