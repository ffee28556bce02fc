"""Images/s through the whole pipeline: API request → ARQ job → HTTP provider → stored → ready.

    python bench/bench_images.py            # or: just bench-images
    python bench/bench_images.py --latency 1 --concurrency 32 --users 3

The provider is our own HTTP server on 127.0.0.1 answering like Pollinations after `--latency` seconds
(768×512 PNGs). The service runs as in production (`bookreader serve`: Granian + embedded worker) on
embedded Postgres/Redis, with provider concurrency and worker max_jobs at `--concurrency`. Each user reads
their own copy of The Metamorphosis in a different style, so every request is a distinct prompt (no cache
hits). The ideal is concurrency / latency images/s; the goal is ≥ 25/s at 32 × 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support

from tests.harness import SHARED_BOOKS, running_service  # noqa: E402
from tests.stub_server import StubApiServer  # noqa: E402
from tests.support import sign_up  # noqa: E402

from bookreader.imaging.providers.placeholder import render_card  # noqa: E402

BOOK = SHARED_BOOKS / "epub2" / "gutenberg-kafka-metamorphosis.epub"
STYLES = ["watercolor", "ink", "oil", "realistic", "anime", "pencil", "fantasy", "noir"]


async def prepare_reader(http: httpx.AsyncClient, style: str):
    reader = await sign_up(http)
    assert (
        await reader.put("/api/v1/users/me/preferences/image-style", json={"style": style})
    ).status_code == 200
    book = (await reader.upload(BOOK)).json()
    book = await reader.wait_for_book(book["id"], timeout=300)
    assert book["status"] == "ready", book
    found = (await reader.get(f"/api/v1/books/{book['id']}/descriptions")).json()
    return reader, book, [d["id"] for d in found]


def run(args: argparse.Namespace) -> None:
    """Infrastructure and service set up outside any event loop (their helpers run their own)."""

    png = render_card("location", "benchmark picture", 768, 512)
    with (
        StubApiServer(args.latency, png) as stub,
        running_service(
            "bench-images-",
            BOOKREADER_IMAGE_PROVIDER="pollinations",
            BOOKREADER_IMAGE_BASE_URL=f"{stub.base_url}/prompt",
            BOOKREADER_IMAGE_CONCURRENCY=str(args.concurrency),
            BOOKREADER_WORKER_MAX_JOBS=str(max(40, args.concurrency + 8)),
            BOOKREADER_IMAGE_PREGENERATE="0",
            BOOKREADER_IMAGE_RATE_PER_MINUTE="0",
            BOOKREADER_RATE_LIMIT_GENERAL="0",
            BOOKREADER_PLAN_FREE_IMAGES_PER_MONTH="0",
            BOOKREADER_LOG_LEVEL="WARNING",
        ) as (service, _env),
    ):
        asyncio.run(measure(service.base_url, stub, args))


async def watch(base_url: str, token: str, done: dict[str, str], expected: int, finished: asyncio.Event):
    """Image ids → final status from the user's WebSocket (polling the API would load the server under test)."""
    url = base_url.replace("http://", "ws://") + f"/api/v1/ws?token={token}"
    async with websockets.connect(url, max_queue=None) as socket:
        await socket.recv()  # hello
        finished_for_me = 0
        while finished_for_me < expected:
            event = json.loads(await socket.recv())
            if event.get("type") == "image.status" and event["status"] in ("ready", "failed"):
                if event["image_id"] not in done:
                    finished_for_me += 1
                done[event["image_id"]] = event["status"]
    finished.set()


async def measure(base_url: str, stub: StubApiServer, args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        prepared = await asyncio.gather(
            *(prepare_reader(http, STYLES[i % len(STYLES)]) for i in range(args.users))
        )
        stub.reset()
        post_latencies: list[float] = []
        gate = asyncio.Semaphore(64)
        done: dict[str, str] = {}
        watchers = []
        for reader, _, ids in prepared:
            finished = asyncio.Event()
            task = asyncio.create_task(
                watch(base_url, reader.tokens["access_token"], done, len(ids), finished)
            )
            watchers.append((task, finished))
        await asyncio.sleep(0.5)  # sockets subscribed

        async def ask(reader, description_id: str) -> None:
            async with gate:
                started = time.perf_counter()
                answer = await reader.post(f"/api/v1/descriptions/{description_id}/image")
                post_latencies.append(time.perf_counter() - started)
                assert answer.status_code == 202, answer.text

        started = time.perf_counter()
        await asyncio.gather(*(ask(reader, d) for reader, _, ids in prepared for d in ids))
        posted = time.perf_counter() - started
        await asyncio.wait_for(asyncio.gather(*(task for task, _ in watchers)), timeout=600)
        elapsed = time.perf_counter() - started
        statuses = []
        for reader, book, _ in prepared:  # the API agrees with the events
            statuses += [i["status"] for i in (await reader.get(f"/api/v1/books/{book['id']}/images")).json()]
        total = sum(len(ids) for _, _, ids in prepared)
        assert len(statuses) == total and all(s in ("ready", "failed") for s in statuses), statuses

    failed = statuses.count("failed")
    ideal = args.concurrency / args.latency if args.latency else float("inf")
    print(
        f"images: {total} ({failed} failed), provider latency {args.latency:.1f} s, concurrency {args.concurrency}"
    )
    print(f"provider calls: {stub.count('/prompt/')}, most in flight at once: {stub.max_in_flight}")
    print(f"all requests accepted in {posted:.2f} s; POST latency p50 {statistics.median(post_latencies) * 1000:.0f} ms, "
          f"p95 {statistics.quantiles(post_latencies, n=20)[-1] * 1000:.0f} ms")  # fmt: skip
    print(f"request → ready for all: {elapsed:.2f} s")
    print(f"THROUGHPUT: {total / elapsed:.1f} images/s (ideal {ideal:.1f}/s, goal ≥ 25/s at 32 × 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="provider answer time, seconds")
    parser.add_argument("--concurrency", type=int, default=32, help="provider limit and worker jobs")
    parser.add_argument(
        "--users", type=int, default=3, help="readers, each with a copy of the book (183 pictures)"
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
