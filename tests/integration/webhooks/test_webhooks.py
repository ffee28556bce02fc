"""Signed webhooks against a real receiver on 127.0.0.1: every signature checked with the Standard Webhooks
reference verifier (`standardwebhooks`), the outbox surviving a receiver outage and a worker killed with -9."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid

import asyncpg
import httpx
import pytest
from standardwebhooks import Webhook as ReferenceVerifier

from tests.harness import LiveService, create_admin
from tests.integration.webhooks.receiver import Receiver
from tests.support import Reader, sign_up
from tests.unit.ingest.builders import make_fb2

TEXT = (
    "The old lighthouse stood on the grey cliff above the cold northern sea, its white tower shining "
    "in the evening light while the waves broke on the dark rocks below."
)


def small_book(title: str) -> bytes:
    section = "<section><title><p>Chapter one</p></title>" + f"<p>{TEXT} {title}.</p>" * 6 + "</section>"
    return make_fb2(section, title=title, lang="en").encode()


async def upload(reader: Reader, title: str) -> str:
    files = {"file": (f"{title}.fb2", small_book(title), "application/octet-stream")}
    response = await reader.post("/api/v1/books", files=files)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def verified(secret: str, received) -> dict:
    """The reference algorithm: raises unless the signature and timestamp check out — as they were on arrival
    when the receiver verified it then (a try refused early in a 5-minute outage is older than the tolerance now)."""
    if isinstance(received.verdict, Exception):
        raise received.verdict
    if received.verdict is not None:
        return received.verdict
    return ReferenceVerifier(secret).verify(received.body, received.headers)


async def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def test_crud_secret_test_event_log_and_isolation(
    webhook_service: LiveService, receiver: Receiver
) -> None:
    async with httpx.AsyncClient(base_url=webhook_service.base_url, timeout=30) as http:
        reader, other = await sign_up(http), await sign_up(http)
        created = await reader.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["book.ready"]})
        assert created.status_code == 201, created.text
        hook = created.json()
        secret = hook["secret"]
        assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
        listed = (await reader.get("/api/v1/webhooks")).json()
        assert [h["id"] for h in listed["items"]] == [hook["id"]]
        assert listed["items"][0]["secret"] is None  # shown once
        assert (await other.get("/api/v1/webhooks")).json()["total"] == 0
        assert (await other.delete(f"/api/v1/webhooks/{hook['id']}")).status_code == 404
        bad = await reader.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["nope"]})
        assert bad.status_code in (400, 422) and bad.json()["code"]
        system = await reader.post(
            "/api/v1/webhooks", json={"url": receiver.url, "events": ["book.ready"], "system": True}
        )
        assert system.status_code == 403 and system.json()["code"] == "admin_required"

        test = await reader.post(f"/api/v1/webhooks/{hook['id']}/test")
        assert test.status_code == 202
        book_id = await upload(reader, "Lighthouse")
        await upload(other, "Not yours")  # the other user's book.ready must not reach this endpoint
        await reader.wait_for_book(book_id)

        async def two_delivered() -> bool:
            log = (await reader.get(f"/api/v1/webhooks/{hook['id']}/deliveries")).json()
            return log["total"] == 2 and all(d["status"] == "delivered" for d in log["items"])

        await wait_until(two_delivered, 60, "the test event and book.ready")
        log = (await reader.get(f"/api/v1/webhooks/{hook['id']}/deliveries")).json()["items"]
        assert {d["event_type"] for d in log} == {"webhook.test", "book.ready"}
        assert all(d["response_code"] == 200 and d["latency_ms"] is not None for d in log)
        bodies = [verified(secret, r) for r in receiver.accepted()]
        assert {b["type"] for b in bodies} == {"webhook.test", "book.ready"}
        ready = next(b for b in bodies if b["type"] == "book.ready")
        assert set(ready) == {"id", "type", "created_at", "data"}
        assert ready["data"]["book_id"] == book_id and ready["data"]["title"] == "Lighthouse"
        assert receiver.accepted()[0].headers["Webhook-Id"] == bodies[0]["id"]
        tampered = receiver.accepted()[0]
        tampered.body = tampered.body.replace(b"}", b" }", 1)
        with pytest.raises(Exception, match="signature"):
            verified(secret, tampered)

        assert (await reader.delete(f"/api/v1/webhooks/{hook['id']}")).status_code == 204
        assert (await reader.get(f"/api/v1/webhooks/{hook['id']}")).status_code == 404


async def test_private_targets_refused_without_the_operator_switch(reader: Reader) -> None:
    for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/",
                "http://[::1]/x", "http://localhost:8000/", "ftp://example.com/"):  # fmt: skip
        response = await reader.post("/api/v1/webhooks", json={"url": url, "events": ["book.ready"]})
        assert response.status_code == 422, (url, response.text)
        assert response.json()["code"] == "webhook_url_forbidden"


async def _db_events(database_url: str, webhook_id: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT id, event_id, event_type, ordering_key, status FROM webhook_deliveries "
            "WHERE webhook = $1 ORDER BY id",
            uuid.UUID(webhook_id),
        )
    finally:
        await conn.close()


# The goal is "0 lost events when the receiver is down for 5 minutes and the worker is killed once mid-way".
# Against the production schedule (5 s, 300 s, 1800 s, …) a 5-minute outage is two failed tries and success at
# the 300 s retry. CI cannot wait that long, so time is compressed: the same delivery code runs on a schedule
# of seconds (0.3, 0.5, 1, then steps of outage/8 — never shorter than 1.5 s), so an outage of OUTAGE seconds
# spans several retries of every event queued before it ends. BOOKREADER_TEST_WEBHOOK_OUTAGE=300 runs the
# literal five minutes (the schedule stretches with it, so no event runs out of tries).
OUTAGE = float(os.environ.get("BOOKREADER_TEST_WEBHOOK_OUTAGE", "12"))


def outage_schedule(outage: float) -> str:
    step = max(1.5, outage / 8)
    return ",".join(["0.3", "0.5", "1"] + [f"{step:g}"] * 40)  # 40 steps: several outages' worth of tries


@pytest.mark.slow
@pytest.mark.timeout(300 + 3 * OUTAGE)  # the literal five minutes does not fit the default 300 s
async def test_no_event_lost_when_receiver_is_down_and_the_worker_is_killed(
    webhook_env, receiver: Receiver, tmp_path
) -> None:
    env = {
        **webhook_env,
        "BOOKREADER_EMBEDDED_WORKER": "0",
        "BOOKREADER_WEBHOOK_RETRY_SCHEDULE": outage_schedule(OUTAGE),
    }
    api = LiveService(env, command="api", log_path=tmp_path / "api.log").start()
    worker = LiveService(env, command="worker", log_path=tmp_path / "worker-1.log").start()
    receiver.status = 503  # the receiver is down from the start
    try:
        async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as http:
            reader = await sign_up(http)
            events = ["book.ready", "book.failed", "image.ready", "image.failed"]
            created = await reader.post("/api/v1/webhooks", json={"url": receiver.url, "events": events})
            hook = created.json()
            receiver.secret = hook["secret"]
            book_ids = [await upload(reader, f"Lighthouse {i}") for i in range(4)]
            for _ in range(3):
                await reader.post(f"/api/v1/webhooks/{hook['id']}/test")

            async def first_failure() -> bool:
                return len(receiver.received) >= 1

            await wait_until(first_failure, 90, "a first delivery failing against the down receiver")
            outage_ends = time.monotonic() + OUTAGE  # the outage is counted from the first refused try
            await asyncio.sleep(OUTAGE / 2)
            worker.kill()  # mid-way: deliveries pending, some in flight
            worker = LiveService(env, command="worker", log_path=tmp_path / "worker-2.log").start()
            await asyncio.sleep(max(0.0, outage_ends - time.monotonic()))
            receiver.status = 200  # back up after the outage
            for book_id in book_ids:
                await reader.wait_for_book(book_id, timeout=120)

            async def all_delivered() -> bool:
                rows = await _db_events(env["DATABASE_URL"], hook["id"])
                return bool(rows) and all(r["status"] == "delivered" for r in rows)

            await wait_until(all_delivered, 120 + OUTAGE, "every delivery to succeed")
    finally:
        worker.stop()
        api.stop()

    rows = await _db_events(env["DATABASE_URL"], hook["id"])
    assert sum(r["event_type"] == "book.ready" for r in rows) == len(book_ids)
    assert sum(r["event_type"] == "webhook.test" for r in rows) == 3
    accepted = receiver.accepted()
    first_seen: list[str] = []
    for received in accepted:
        body = verified(hook["secret"], received)  # every accepted delivery carries a valid signature
        if body["id"] not in first_seen:
            first_seen.append(body["id"])
    refused: dict[str, int] = {}
    for received in receiver.received:
        verified(hook["secret"], received)  # failed tries were signed too
        if received.answered == 503:
            refused[received.headers["Webhook-Id"]] = refused.get(received.headers["Webhook-Id"], 0) + 1
    assert set(first_seen) == {r["event_id"] for r in rows}  # 0 lost
    for key in {r["ordering_key"] for r in rows if r["ordering_key"]}:
        expected = [r["event_id"] for r in rows if r["ordering_key"] == key]
        assert [e for e in first_seen if e in expected] == expected  # in order per book
    # the outage spanned several retries: the test events (queued before it) were each refused ≥ 3 times
    tests = [r["event_id"] for r in rows if r["event_type"] == "webhook.test"]
    assert all(refused.get(event, 0) >= 3 for event in tests), refused


async def test_an_endpoint_failing_for_the_set_time_is_disabled_and_the_owner_told(
    webhook_service: LiveService, receiver: Receiver
) -> None:
    assert webhook_service.env["BOOKREADER_WEBHOOK_DISABLE_AFTER"] == "2"  # seconds
    receiver.status = 500
    async with httpx.AsyncClient(base_url=webhook_service.base_url, timeout=30) as http:
        reader = await sign_up(http)
        hook = (
            await reader.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["book.ready"]})
        ).json()
        await reader.post(f"/api/v1/webhooks/{hook['id']}/test")

        async def disabled() -> bool:
            return not (await reader.get(f"/api/v1/webhooks/{hook['id']}")).json()["enabled"]

        await wait_until(disabled, 60, "the endpoint to be disabled")
        current = (await reader.get(f"/api/v1/webhooks/{hook['id']}")).json()
        assert current["disabled_at"] and "HTTP 500" in current["disabled_reason"]
        log = (await reader.get(f"/api/v1/webhooks/{hook['id']}/deliveries")).json()["items"]
        assert log[0]["status"] == "pending" and log[0]["attempts"] >= 2 and log[0]["response_code"] == 500
        tries = len(receiver.received)
        await asyncio.sleep(3)
        assert len(receiver.received) == tries  # nothing more is sent to a disabled endpoint
        enabled = await reader.patch(f"/api/v1/webhooks/{hook['id']}", json={"enabled": True})
        assert enabled.json()["enabled"] is True
    assert json.loads(receiver.received[0].body)["type"] == "webhook.test"


async def test_an_admins_system_wide_webhook_gets_every_users_events(
    webhook_service: LiveService, receiver: Receiver
) -> None:
    async with httpx.AsyncClient(base_url=webhook_service.base_url, timeout=30) as http:
        admin, user = await sign_up(http), await sign_up(http)
        await asyncio.to_thread(create_admin, webhook_service.env, admin.email, "unused-existing")
        created = await admin.post(
            "/api/v1/webhooks", json={"url": receiver.url, "events": ["book.ready"], "system": True}
        )
        assert created.status_code == 201, created.text
        hook = created.json()
        assert hook["system"] is True
        book_id = await upload(user, "Somebody Else's")
        await user.wait_for_book(book_id)

        async def delivered() -> bool:
            return any(verified(hook["secret"], r)["data"]["book_id"] == book_id for r in receiver.accepted())

        await wait_until(delivered, 60, "the other user's book.ready at the system-wide endpoint")
        assert (await user.get("/api/v1/webhooks")).json()["total"] == 0  # not the user's to see
