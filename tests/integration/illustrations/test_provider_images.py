"""The service against an image API of our own on 127.0.0.1 (Pollinations-style) and a chat API for prompt
refinement: transient failures retried, identical requests generated once across users, quotas enforced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from arq.constants import result_key_prefix
from tests.harness import LiveService, serving
from tests.integration.illustrations.helpers import METAMORPHOSIS, descriptions, ready_book, wait_image
from tests.stub_server import Reply, StubApiServer, json_reply
from tests.support import Reader, sign_up

from bookreader.core.queue import create_queue
from bookreader.domain.accounts.tables import User
from bookreader.settings import load_settings

MONTHLY = 3
PER_MINUTE = 5


@pytest.fixture(scope="module")
def stub() -> Iterator[StubApiServer]:
    with StubApiServer() as server:
        server.chat_answer = "A cramped bedroom at dawn, rain on the window, a huge beetle on the bed"
        yield server


@pytest.fixture(scope="module")
def provider_service(migrated: dict[str, str], stub: StubApiServer) -> Iterator[LiveService]:
    env = {
        **migrated,
        # its own queue and channels: the session's default service must not run these jobs
        "BOOKREADER_QUEUE_NAME": migrated["BOOKREADER_QUEUE_NAME"] + ":provider",
        "BOOKREADER_EVENTS_PREFIX": migrated["BOOKREADER_EVENTS_PREFIX"] + ":provider",
        # the session's data folder, as a second service on one database has: its pictures are in that
        # database's shared cache, so the default service may hand them to its readers (a folder of its own
        # made those 404 there when this module ran first, as pytest-xdist may order it)
        "BOOKREADER_IMAGE_PROVIDER": "pollinations",
        "BOOKREADER_IMAGE_BASE_URL": f"{stub.base_url}/prompt",
        "BOOKREADER_IMAGE_TIMEOUT": "5",
        "BOOKREADER_IMAGE_RETRIES": "3",
        "BOOKREADER_IMAGE_CONCURRENCY": "1",  # → at most 5 image jobs per worker, the rest deferred
        "BOOKREADER_IMAGE_BACKOFF_BASE": "0.05",
        "BOOKREADER_LLM_BASE_URL": f"{stub.base_url}/v1",
        "BOOKREADER_PLAN_FREE_IMAGES_PER_MONTH": str(MONTHLY),
        "BOOKREADER_IMAGE_RATE_PER_MINUTE": str(PER_MINUTE),
    }
    with serving(env, "provider-service") as service:
        yield service


@pytest.fixture
async def http(provider_service: LiveService) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=provider_service.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def book_path(shared_books: Path) -> Path:
    return shared_books / METAMORPHOSIS


def prompt_hits(stub: StubApiServer) -> int:
    return stub.count("/prompt/")


async def test_transient_failures_are_retried_then_ready(http, stub, book_path) -> None:
    reader = await sign_up(http)
    book = await ready_book(reader, book_path)
    target = (await descriptions(reader, book["id"]))[-1]
    stub.reset()
    stub.queue(
        Reply(503, b"busy"),
        Reply(429, b"slow down", {"Retry-After": "1"}),
        json_reply({"e": 1}, 500),
        path="/prompt/",
    )

    requested = await reader.post(f"/api/v1/descriptions/{target['id']}/image")
    assert requested.status_code == 202, requested.text
    image = await wait_image(reader, requested.json()["id"])

    assert image["status"] == "ready", image
    assert image["provider"] == "pollinations"
    assert prompt_hits(stub) == 4  # three failures, one success
    assert image["prompt"].startswith(stub.chat_answer)  # refined through the chat API
    assert stub.count("/chat/completions") == 1
    picture = await reader.get(image["url"])
    assert picture.content == stub.png


async def test_a_rejected_prompt_fails_and_can_be_asked_again(http, stub, book_path) -> None:
    reader = await sign_up(http)
    book = await ready_book(reader, book_path)
    target = (await descriptions(reader, book["id"]))[-2]
    stub.reset()
    stub.queue(json_reply({"error": {"message": "prompt rejected by safety filter"}}, 400), path="/prompt/")

    image = await wait_image(
        reader, (await reader.post(f"/api/v1/descriptions/{target['id']}/image")).json()["id"]
    )
    assert image["status"] == "failed" and image["url"] is None
    assert image["error"]["code"] == "provider_rejected"
    assert "safety filter" in image["error"]["message"]
    assert prompt_hits(stub) == 1  # a 4xx is not retried

    again = await reader.post(f"/api/v1/descriptions/{target['id']}/image")
    assert again.status_code == 202 and again.json()["id"] == image["id"]
    assert (await wait_image(reader, image["id"]))["status"] == "ready"
    assert prompt_hits(stub) == 2


async def test_identical_requests_of_two_users_generate_once(http, stub, book_path) -> None:
    first, second = await sign_up(http), await sign_up(http)
    books = await asyncio.gather(ready_book(first, book_path), ready_book(second, book_path))
    mine, theirs = await asyncio.gather(
        *(descriptions(r, b["id"]) for r, b in zip((first, second), books, strict=True))
    )
    # the same passage of the same text in each user's own copy of the book
    target_a = mine[len(mine) // 2]
    target_b = next(
        d for d in theirs if (d["chapter"], d["start"]) == (target_a["chapter"], target_a["start"])
    )
    stub.reset()
    stub.latency = 0.3  # both jobs are in flight together

    try:
        posted = await asyncio.gather(
            first.post(f"/api/v1/descriptions/{target_a['id']}/image"),
            second.post(f"/api/v1/descriptions/{target_b['id']}/image"),
        )
        images = await asyncio.gather(
            wait_image(first, posted[0].json()["id"]), wait_image(second, posted[1].json()["id"])
        )
    finally:
        stub.latency = 0.0

    assert [i["status"] for i in images] == ["ready", "ready"]
    assert images[0]["id"] != images[1]["id"]
    assert images[0]["url"] == images[1]["url"]  # one shared file
    assert prompt_hits(stub) == 1
    # still private: each sees only their own image record
    assert (await second.get(f"/api/v1/images/{images[0]['id']}")).status_code == 404


async def test_monthly_quota_refuses_with_402(http, stub, book_path) -> None:
    reader = await sign_up(http)
    book = await ready_book(reader, book_path)
    found = await descriptions(reader, book["id"])
    targets = [d for d in found if d["chapter"] > found[0]["chapter"]][: MONTHLY + 1]

    for target in targets[:MONTHLY]:
        assert (await reader.post(f"/api/v1/descriptions/{target['id']}/image")).status_code == 202
    over = await reader.post(f"/api/v1/descriptions/{targets[MONTHLY]['id']}/image")

    assert over.status_code == 402
    assert over.headers["content-type"].startswith("application/problem+json")
    assert over.json()["code"] == "quota_exceeded"
    usage = (await reader.get("/api/v1/users/me")).json()["usage"]
    assert (usage["images_this_month"], usage["images_per_month_limit"]) == (MONTHLY, MONTHLY)


async def test_request_rate_refuses_with_429(http, db, stub, book_path) -> None:
    reader: Reader = await sign_up(http)
    await User.update({User.plan: "premium"}).where(User.email == reader.email)
    book = await ready_book(reader, book_path)
    found = await descriptions(reader, book["id"])

    statuses = []
    for target in found[: 2 * PER_MINUTE + 2]:  # enough to pass the limit even across a minute boundary
        answer = await reader.post(f"/api/v1/descriptions/{target['id']}/image")
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert answer.json()["code"] == "quota_exceeded"
            assert 0 < int(answer.headers["retry-after"]) <= 60
            break
    assert statuses[-1] == 429
    assert len(statuses) > PER_MINUTE


async def test_a_busy_worker_defers_image_jobs_and_all_finish(http, db, migrated, stub, book_path) -> None:
    reader = await sign_up(http)
    await User.update({User.plan: "admin"}).where(User.email == reader.email)  # no quota, no rate
    book = await ready_book(reader, book_path)
    # a style no other test uses: every prompt is new, none comes from the shared cache
    await reader.put("/api/v1/users/me/preferences/image-style", json={"style": "noir"})
    targets = (await descriptions(reader, book["id"]))[:12]
    stub.reset()
    stub.latency = 0.2
    try:
        # all at once: the burst must outrun the worker's cap however slowly a loaded machine posts them
        posted = await asyncio.gather(
            *(reader.post(f"/api/v1/descriptions/{t['id']}/image") for t in targets)
        )
        assert all(p.status_code == 202 for p in posted)
        images = await asyncio.gather(*(wait_image(reader, p.json()["id"], timeout=90) for p in posted))
    finally:
        stub.latency = 0.0

    assert [i["status"] for i in images] == ["ready"] * len(targets)
    assert prompt_hits(stub) == len(targets) and stub.max_in_flight == 1  # the provider limit held
    queue = await create_queue(load_settings(migrated))
    try:  # jobs over the cap were put back under a derived id rather than waiting in a worker slot
        deferred = [key async for key in queue.scan_iter(f"{result_key_prefix}generate_image:*:1")]
    finally:
        await queue.aclose()
    assert deferred
