"""ARQ jobs that send webhook deliveries: at-least-once, in order per book, with exponential backoff.

`deliver_webhooks` holds a Redis lock per endpoint (so one sender per endpoint and deliveries sharing an
ordering key leave in order), sends what is due, and records each try in `webhook_deliveries`. A delivery
stays `pending` until a 2xx answer; a worker killed mid-way leaves it pending, and `sweep_webhooks` (cron)
wakes a sender for every endpoint with due deliveries. Endpoints failing for `webhook_disable_after`
seconds are disabled and their owner is told.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import msgspec

from bookreader.core.events import user_channel
from bookreader.core.jobs import JobContext
from bookreader.core.queue import enqueue
from bookreader.domain.webhooks.outbound import UnsafeTarget, check_target
from bookreader.domain.webhooks.schemas import WebhookDisabledEvent
from bookreader.domain.webhooks.service import DeliverWebhooks
from bookreader.domain.webhooks.signing import headers as signed_headers
from bookreader.domain.webhooks.tables import Webhook, WebhookDelivery
from bookreader.settings import Settings

log = logging.getLogger(__name__)

MAX_PER_RUN = 200

NEXT_DUE = """
SELECT d.id, d.event_id, d.payload, d.attempts FROM webhook_deliveries d
WHERE d.webhook = {} AND d.status = 'pending' AND d.next_attempt_at <= now()
  AND NOT EXISTS (
    SELECT 1 FROM webhook_deliveries e
    WHERE e.webhook = d.webhook AND e.status = 'pending' AND e.ordering_key = d.ordering_key AND e.id < d.id)
ORDER BY d.id LIMIT 1
"""


def _lock_key(settings: Settings, webhook_id: str) -> str:
    return f"{settings.queue_name}:webhook-sender:{webhook_id}"


async def _post(ctx: JobContext, hook: dict, delivery: dict) -> tuple[int | None, str | None, int]:
    """(response code or None, error or None, latency ms). Reads at most the response cap."""
    settings: Settings = ctx["settings"]
    started = time.perf_counter()
    body = delivery["payload"]
    try:
        await check_target(hook["url"], allow_private=settings.webhook_allow_private)
        head = signed_headers(hook["secret"], delivery["event_id"], int(time.time()), body)
        timeout = httpx.Timeout(settings.webhook_timeout)
        async with ctx["http"].stream(
            "POST", hook["url"], content=body.encode(), headers=head, timeout=timeout
        ) as response:
            received = 0
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received >= settings.webhook_max_response_bytes:
                    break
            code = response.status_code
        error = None if 200 <= code < 300 else f"HTTP {code}"
        return code, error, int((time.perf_counter() - started) * 1000)
    except UnsafeTarget as exc:
        return None, str(exc), int((time.perf_counter() - started) * 1000)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500], int((time.perf_counter() - started) * 1000)


async def _record_result(ctx: JobContext, hook: dict, delivery: dict, code, error, latency) -> None:
    settings: Settings = ctx["settings"]
    now = datetime.now(UTC)
    attempts = delivery["attempts"] + 1
    common = {WebhookDelivery.attempts: attempts, WebhookDelivery.response_code: code,
              WebhookDelivery.latency_ms: latency, WebhookDelivery.last_error: error}  # fmt: skip
    if error is None:
        await WebhookDelivery.update(
            {**common, WebhookDelivery.status: "delivered", WebhookDelivery.delivered_at: now}
        ).where(WebhookDelivery.id == delivery["id"])
        if hook["failing_since"] is not None:
            await Webhook.update({Webhook.failing_since: None}).where(Webhook.id == hook["id"])
            hook["failing_since"] = None
        return
    schedule = settings.webhook_retry_schedule
    if attempts > len(schedule):
        values = {**common, WebhookDelivery.status: "failed"}
    else:
        delay = schedule[attempts - 1]
        values = {**common, WebhookDelivery.next_attempt_at: now + timedelta(seconds=delay)}
        await enqueue(ctx["redis"], DeliverWebhooks(webhook_id=str(hook["id"])), defer_by=delay)
    await WebhookDelivery.update(values).where(WebhookDelivery.id == delivery["id"])
    if hook["failing_since"] is None:
        hook["failing_since"] = now
        await Webhook.update({Webhook.failing_since: now}).where(
            Webhook.id == hook["id"], Webhook.failing_since.is_null()
        )
    elif (now - hook["failing_since"]).total_seconds() >= settings.webhook_disable_after:
        await disable(ctx, hook, f"Every delivery failed for {settings.webhook_disable_after} s: {error}")


async def disable(ctx: JobContext, hook: dict, reason: str) -> None:
    settings: Settings = ctx["settings"]
    await Webhook.update(
        {Webhook.enabled: False, Webhook.disabled_at: datetime.now(UTC), Webhook.disabled_reason: reason}
    ).where(Webhook.id == hook["id"])
    hook["enabled"] = False
    log.warning("webhook %s disabled: %s", hook["id"], reason)
    event = WebhookDisabledEvent(webhook_id=str(hook["id"]), url=hook["url"], reason=reason)
    try:
        await ctx["redis"].publish(
            user_channel(settings.events_prefix, hook["owner"]), msgspec.json.encode(event)
        )
    except Exception as exc:  # the log and the API's `disabled_reason` still tell
        log.warning("could not publish webhook.disabled: %s", exc)


async def deliver_webhooks(ctx: JobContext, raw: dict) -> str:
    job = DeliverWebhooks.load(raw)
    settings: Settings = ctx["settings"]
    redis = ctx["redis"]
    key, token = _lock_key(settings, job.webhook_id), secrets.token_hex(8)
    if not await redis.set(key, token, nx=True, ex=settings.webhook_lock_ttl):
        return "busy"  # another sender has this endpoint; it keeps going until nothing is due
    sent = 0
    try:
        for _ in range(MAX_PER_RUN):
            hook = await Webhook.select().where(Webhook.id == uuid.UUID(job.webhook_id)).first()
            if hook is None or not hook["enabled"]:
                break
            rows = await WebhookDelivery.raw(NEXT_DUE, uuid.UUID(job.webhook_id))
            if not rows:
                break
            code, error, latency = await _post(ctx, hook, rows[0])
            await _record_result(ctx, hook, rows[0], code, error, latency)
            await redis.expire(key, settings.webhook_lock_ttl)
            sent += 1
    finally:
        if (await redis.get(key)) in (token, token.encode()):
            await redis.delete(key)
    if sent == MAX_PER_RUN:  # more is due: continue in a fresh job
        await enqueue(redis, DeliverWebhooks(webhook_id=job.webhook_id))
    return f"sent {sent}"


async def sweep_webhooks(ctx: JobContext) -> int:
    """Wake a sender for every enabled endpoint with due deliveries (after a crash, lost jobs, restarts)."""
    rows = await WebhookDelivery.raw(
        "SELECT DISTINCT d.webhook FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook "
        "WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.enabled"
    )
    for row in rows:
        await enqueue(ctx["redis"], DeliverWebhooks(webhook_id=str(row["webhook"])))
    return len(rows)


FUNCTIONS = [deliver_webhooks]
