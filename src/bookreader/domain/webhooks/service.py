"""Webhooks: endpoints per user (admins may add system-wide ones), the outbox of deliveries, the log.

Events are written to `webhook_deliveries` (Postgres is the truth) by the worker code that causes them and
sent by the `deliver_webhooks` job — never on a request's path.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from asyncpg.exceptions import UniqueViolationError
from piccolo.columns.combination import WhereRaw

from bookreader.core.errors import Forbidden, InvalidInput, NotFound
from bookreader.core.queue import JobPayload, enqueue
from bookreader.domain.accounts.tables import User
from bookreader.domain.webhooks.outbound import UnsafeTarget, check_target
from bookreader.domain.webhooks.schemas import (
    TEST_EVENT,
    DeliveryRead,
    WebhookCreate,
    WebhookEnvelope,
    WebhookRead,
    WebhookUpdate,
)
from bookreader.domain.webhooks.signing import new_secret
from bookreader.domain.webhooks.tables import Webhook, WebhookDelivery
from bookreader.settings import Settings

MAX_WEBHOOKS_PER_USER = 20


class DeliverWebhooks(JobPayload, frozen=True):
    """Send what is due for one endpoint (a Redis lock keeps one sender per endpoint: ordered delivery)."""

    function = "deliver_webhooks"
    webhook_id: str


def webhook_read(row: Webhook, *, secret: str | None = None) -> WebhookRead:
    return WebhookRead(
        id=row.id, url=row.url, events=list(row.events or []), description=row.description,
        system=row.system, enabled=row.enabled, disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason, failing_since=row.failing_since, created_at=row.created_at,
        secret=secret,
    )  # fmt: skip


async def create(user: User, data: WebhookCreate, settings: Settings) -> WebhookRead:
    if data.system and user.role != "admin":
        raise Forbidden("Only admins may add system-wide webhooks.", code="admin_required")
    try:
        await check_target(data.url, allow_private=settings.webhook_allow_private)
    except UnsafeTarget as exc:
        raise InvalidInput(str(exc), code="webhook_url_forbidden") from None
    if await Webhook.count().where(Webhook.owner == user.id) >= MAX_WEBHOOKS_PER_USER:
        raise InvalidInput(f"At most {MAX_WEBHOOKS_PER_USER} webhooks per user.", code="too_many_webhooks")
    secret = new_secret()
    row = Webhook(
        owner=user.id, system=data.system, url=data.url, events=sorted(set(data.events)), secret=secret,
        description=data.description,
    )  # fmt: skip
    await row.save()
    saved = await Webhook.objects().output(load_json=True).where(Webhook.id == row.id).first()
    return webhook_read(saved, secret=secret)


async def get_own(user: User, webhook_id: uuid.UUID) -> Webhook:
    row = (
        await Webhook.objects()
        .output(load_json=True)
        .where(Webhook.id == webhook_id, Webhook.owner == user.id)
        .first()
    )
    if row is None:
        raise NotFound("No such webhook.", code="webhook_not_found")
    return row


async def list_own(user: User) -> list[WebhookRead]:
    rows = (
        await Webhook.objects()
        .output(load_json=True)
        .where(Webhook.owner == user.id)
        .order_by(Webhook.created_at)
    )
    return [webhook_read(row) for row in rows]


async def update(user: User, webhook_id: uuid.UUID, data: WebhookUpdate) -> WebhookRead:
    row = await get_own(user, webhook_id)
    values: dict = {}
    if data.events is not None:
        values[Webhook.events] = sorted(set(data.events))
    if data.enabled is True:  # re-enabling forgives the past failures
        values.update({Webhook.enabled: True, Webhook.disabled_at: None, Webhook.disabled_reason: None,
                       Webhook.failing_since: None})  # fmt: skip
    elif data.enabled is False:
        values.update({Webhook.enabled: False, Webhook.disabled_at: datetime.now(UTC),
                       Webhook.disabled_reason: "Disabled by the user."})  # fmt: skip
    if values:
        await Webhook.update(values).where(Webhook.id == row.id)
    return webhook_read(await get_own(user, webhook_id))


async def delete(user: User, webhook_id: uuid.UUID) -> None:
    row = await get_own(user, webhook_id)
    await Webhook.delete().where(Webhook.id == row.id)


async def deliveries(user: User, webhook_id: uuid.UUID, *, limit: int, offset: int) -> tuple[list, int]:
    row = await get_own(user, webhook_id)
    rows = (
        await WebhookDelivery.select()
        .where(WebhookDelivery.webhook == row.id)
        .order_by(WebhookDelivery.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    items = [
        DeliveryRead(
            id=r["id"],
            event_id=r["event_id"],
            event_type=r["event_type"],
            status=r["status"],
            attempts=r["attempts"],
            response_code=r["response_code"],
            latency_ms=r["latency_ms"],
            last_error=r["last_error"],
            created_at=r["created_at"],
            delivered_at=r["delivered_at"],
            next_attempt_at=r["next_attempt_at"] if r["status"] == "pending" else None,
        )
        for r in rows
    ]
    return items, await WebhookDelivery.count().where(WebhookDelivery.webhook == row.id)


def envelope(event_type: str, data: dict[str, Any], event_id: str | None = None) -> tuple[str, str]:
    """(event id, JSON body)."""
    event_id = event_id or f"msg_{uuid.uuid4().hex}"
    created = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = msgspec.json.encode(WebhookEnvelope(id=event_id, type=event_type, created_at=created, data=data))
    return event_id, body.decode()


async def _record(webhook_ids: list[uuid.UUID], event_type: str, body: str, event_id: str, key: str | None):
    rows = [
        WebhookDelivery(webhook=wid, event_id=event_id, event_type=event_type, ordering_key=key, payload=body)
        for wid in webhook_ids
    ]
    for row in rows:
        try:
            await row.save()
        except UniqueViolationError:  # the same event recorded twice (a job ran again): once is enough
            pass


async def emit(
    queue: Any,
    owner: uuid.UUID | str,
    event_type: str,
    data: dict[str, Any],
    *,
    ordering_key: str | None = None,
) -> str | None:
    """Record `event_type` for every enabled endpoint of `owner` (and every system-wide one) that wants it,
    then wake their senders. Returns the event id, or None when nobody listens."""
    hooks = await Webhook.select(Webhook.id).where(
        Webhook.enabled.eq(True),
        (Webhook.owner == uuid.UUID(str(owner))) | (Webhook.system.eq(True)),
        WhereRaw("events ? {}", event_type),
    )
    if not hooks:
        return None
    event_id, body = envelope(event_type, data)
    ids = [row["id"] for row in hooks]
    await _record(ids, event_type, body, event_id, ordering_key)
    for wid in ids:
        await enqueue(queue, DeliverWebhooks(webhook_id=str(wid)))
    return event_id


async def send_test(user: User, webhook_id: uuid.UUID, queue: Any) -> str:
    row = await get_own(user, webhook_id)
    event_id, body = envelope(TEST_EVENT, {"webhook_id": str(row.id), "message": "BookReader test event"})
    await _record([row.id], TEST_EVENT, body, event_id, None)
    await enqueue(queue, DeliverWebhooks(webhook_id=str(row.id)))
    return event_id
