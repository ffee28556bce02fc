from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

EventType = Literal["book.ready", "book.failed", "image.ready", "image.failed", "export.ready"]
TEST_EVENT = "webhook.test"


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2000)]
    events: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=5)]
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    system: bool = False  # admins only: receive every user's events


class WebhookUpdate(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool | None = None
    events: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=5)] | None = None


class WebhookRead(msgspec.Struct):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    system: bool
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    secret: str | None = None  # only in the answer to POST


class WebhookPage(msgspec.Struct):
    items: list[WebhookRead]
    total: int


class DeliveryRead(msgspec.Struct):
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    response_code: int | None
    latency_ms: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(msgspec.Struct):
    items: list[DeliveryRead]
    total: int


class WebhookEnvelope(msgspec.Struct):
    """The JSON body of every delivery."""

    id: str
    type: str
    created_at: str
    data: dict


class WebhookDisabledEvent(msgspec.Struct, tag="webhook.disabled", tag_field="type"):
    """Live event telling the owner an endpoint was switched off."""

    webhook_id: str
    url: str
    reason: str
