"""Reading hot paths through the running app: progress writes (the reader saves one every few seconds per
open book), session heartbeats and the statistics page.

    python bench/bench_reading.py            # or: just bench-reading

Starts embedded Postgres + Redis and `python -m bookreader serve`, signs up --users readers, each with the
small Alice book, then has every reader write --writes positions from two "devices" at once (half of them
stale), and reports requests/s and p50/p95/max latency; the same for heartbeats; then GET /api/v1/stats for a
reader with --history days of sessions. GET /users/me at the same concurrency gives the floor (the
machine's cost of any authenticated call) to read the others against.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness, from `python bench/<name>.py`

from tests.harness import SHARED_BOOKS, random_email, running_service

ALICE = SHARED_BOOKS / "epub3" / "epubjs-alice-without-cover.epub"


async def sign_in(http: httpx.AsyncClient) -> dict[str, str]:
    email, password = random_email(), "correct horse 1"
    await http.post("/api/v1/auth/register", json={"email": email, "password": password})
    tokens = (await http.post("/api/v1/auth/login", json={"email": email, "password": password})).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def ready_book(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    files = {"file": (ALICE.name, ALICE.read_bytes())}
    book_id = (await http.post("/api/v1/books", files=files, headers=headers)).json()["id"]
    for _ in range(2400):  # up to 2 minutes
        book = (await http.get(f"/api/v1/books/{book_id}", headers=headers)).json()
        if book["status"] in ("ready", "failed"):
            break
        await asyncio.sleep(0.05)
    return book_id


def report(name: str, latencies: list[float], wall: float) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(
        f"{name:34} {len(ordered):6} requests  {len(ordered) / wall:7.0f} req/s  "
        f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms"
    )


async def timed(call, latencies: list[float]) -> httpx.Response:
    start = time.perf_counter()
    response = await call
    latencies.append(time.perf_counter() - start)
    response.raise_for_status()
    return response


async def floor(http: httpx.AsyncClient, readers: list[tuple[dict, str]], calls: int) -> None:
    """The same concurrency on GET /users/me (auth + one row): what any authenticated call costs here."""
    latencies: list[float] = []

    async def device(headers: dict) -> None:
        for _ in range(calls // 2):
            await timed(http.get("/api/v1/users/me", headers=headers), latencies)

    start = time.perf_counter()
    await asyncio.gather(*(device(h) for h, _ in readers for _ in (0, 1)))
    report("GET users/me (floor, same load)", latencies, time.perf_counter() - start)


async def progress_writes(http: httpx.AsyncClient, readers: list[tuple[dict, str]], writes: int) -> None:
    t0 = datetime.now(UTC) - timedelta(days=1)
    latencies: list[float] = []

    async def device(headers: dict, book_id: str, parity: int) -> None:
        for n in range(
            parity, writes, 2
        ):  # the other device writes the odd minutes; every 4th write is stale
            minute = n - 3 if n % 4 == 3 else n
            body = {
                "chapter": 1,
                "offset": n,
                "percentage": 0,
                "updated_at": (t0 + timedelta(minutes=minute)).isoformat(),
            }
            await timed(http.put(f"/api/v1/books/{book_id}/progress", json=body, headers=headers), latencies)

    start = time.perf_counter()
    await asyncio.gather(*(device(h, b, p) for h, b in readers for p in (0, 1)))
    report("PUT progress (2 devices/reader)", latencies, time.perf_counter() - start)


async def heartbeats(http: httpx.AsyncClient, readers: list[tuple[dict, str]], beats: int) -> None:
    latencies: list[float] = []

    async def session(headers: dict, book_id: str) -> None:
        started = await http.post("/api/v1/reading-sessions", json={"book_id": book_id}, headers=headers)
        session_id = started.json()["id"]
        for n in range(beats):
            body = {"chapter": 1, "offset": n * 10, "ended": n == beats - 1}
            await timed(
                http.patch(f"/api/v1/reading-sessions/{session_id}", json=body, headers=headers), latencies
            )

    start = time.perf_counter()
    await asyncio.gather(*(session(h, b) for h, b in readers))
    report("PATCH reading-sessions", latencies, time.perf_counter() - start)


async def stats_page(http: httpx.AsyncClient, env: dict[str, str], history: int) -> None:
    from bookreader.core import db
    from bookreader.domain.reading.tables import ReadingSession
    from bookreader.settings import load_settings
    from bookreader.tables import TABLES

    headers = await sign_in(http)
    book_id = await ready_book(http, headers)
    me = (await http.get("/api/v1/users/me", headers=headers)).json()["id"]
    await db.start_pool(load_settings(env), TABLES, max_size=2)
    try:
        now = datetime.now(UTC)
        rows = [
            ReadingSession(
                owner=uuid.UUID(me), book=uuid.UUID(book_id), started_at=now - timedelta(days=d, hours=h),
                last_seen_at=now - timedelta(days=d, hours=h - 0.25), ended_at=now - timedelta(days=d, hours=h - 0.25),
                active_seconds=900, words_read=3000, words_at=1.0,
            )
            for d in range(history)
            for h in (1, 5, 9)
        ]  # fmt: skip
        await ReadingSession.insert(*rows)
    finally:
        await db.close_pool()
    latencies: list[float] = []
    start = time.perf_counter()
    for _ in range(50):
        await timed(http.get("/api/v1/stats", params={"tz": "Europe/Moscow"}, headers=headers), latencies)
    report(f"GET stats ({history * 3} sessions)", latencies, time.perf_counter() - start)


async def run(base_url: str, env: dict[str, str], args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        readers = []
        for _ in range(args.users):
            headers = await sign_in(http)
            readers.append((headers, await ready_book(http, headers)))
        await floor(http, readers, args.writes)
        await progress_writes(http, readers, args.writes)
        await heartbeats(http, readers, args.writes // 4)
        await stats_page(http, env, args.history)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--writes", type=int, default=100, help="progress writes per reader")
    parser.add_argument("--history", type=int, default=365, help="days of sessions for the stats reader")
    args = parser.parse_args()
    with running_service("bench-reading-", BOOKREADER_RATE_LIMIT_GENERAL="0") as (service, env):
        asyncio.run(run(service.base_url, env, args))


if __name__ == "__main__":
    main()
