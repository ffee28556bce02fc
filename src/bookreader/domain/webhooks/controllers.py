from __future__ import annotations

import uuid
from typing import Annotated

from arq.connections import ArqRedis
from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from bookreader.domain.accounts.tables import User
from bookreader.domain.webhooks import service
from bookreader.domain.webhooks.schemas import (
    DeliveryPage,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
)
from bookreader.settings import Settings


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]

    @post("/", operation_id="createWebhook", status_code=HTTP_201_CREATED,
          description="The answer carries `secret` (whsec_…): it is shown this once.")  # fmt: skip
    async def create(self, user: User, data: WebhookCreate, settings: Settings) -> WebhookRead:
        return await service.create(user, data, settings)

    @get("/", operation_id="listWebhooks")
    async def list_webhooks(self, user: User) -> WebhookPage:
        items = await service.list_own(user)
        return WebhookPage(items=items, total=len(items))

    @get("/{webhook_id:uuid}", operation_id="getWebhook")
    async def get_webhook(self, user: User, webhook_id: uuid.UUID) -> WebhookRead:
        return service.webhook_read(await service.get_own(user, webhook_id))

    @patch("/{webhook_id:uuid}", operation_id="updateWebhook")
    async def update(self, user: User, webhook_id: uuid.UUID, data: WebhookUpdate) -> WebhookRead:
        return await service.update(user, webhook_id, data)

    @delete("/{webhook_id:uuid}", operation_id="deleteWebhook", status_code=HTTP_204_NO_CONTENT)
    async def delete_webhook(self, user: User, webhook_id: uuid.UUID) -> None:
        await service.delete(user, webhook_id)

    @get("/{webhook_id:uuid}/deliveries", operation_id="listWebhookDeliveries")
    async def deliveries(
        self,
        user: User,
        webhook_id: uuid.UUID,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000_000)] = 0,
    ) -> DeliveryPage:
        items, total = await service.deliveries(user, webhook_id, limit=limit, offset=offset)
        return DeliveryPage(items=items, total=total)

    @post("/{webhook_id:uuid}/test", operation_id="sendWebhookTest", status_code=HTTP_202_ACCEPTED)
    async def send_test(self, user: User, webhook_id: uuid.UUID, queue: ArqRedis) -> dict:
        event_id = await service.send_test(user, webhook_id, queue)
        return {"event_id": event_id, "status": "queued"}
