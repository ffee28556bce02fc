"""OPDS catalog pages of a 10,000-book library through the running app (goal: p99 ≤ 50 ms per page).

    python bench/bench_opds.py            # or: just bench-opds

Starts embedded Postgres + Redis and `python -m bookreader serve`, signs up a reader, inserts --books book rows
(authors, series, languages, annotations like real metadata) straight into Postgres, creates a device
password, then requests each kind of catalog page --rounds times with HTTP Basic — first, middle and last page
of "recent" and "all", the author/series facets and one author's and one series' books, a search — in both
OPDS 1.2 (Atom) and 2.0 (JSON), and reports p50/p95/p99 per page kind and over all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness, from `python bench/<name>.py`

from tests.harness import random_email, running_service

GOAL_P99_MS = 50.0
WORDS = "river night garden winter stone silver shadow crown letter island storm mirror".split()


async def make_library(http: httpx.AsyncClient, env: dict[str, str], books: int) -> tuple[str, str]:
    from bookreader.core import db
    from bookreader.domain.books.tables import Book
    from bookreader.settings import load_settings
    from bookreader.tables import TABLES

    email, password = random_email(), "correct horse 1"
    await http.post("/api/v1/auth/register", json={"email": email, "password": password})
    tokens = (await http.post("/api/v1/auth/login", json={"email": email, "password": password})).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    owner = uuid.UUID((await http.get("/api/v1/users/me", headers=headers)).json()["id"])
    device = (await http.post("/api/v1/device-passwords", json={"name": "bench"}, headers=headers)).json()
    rng = random.Random(10_000)
    now = datetime.now(UTC)
    await db.start_pool(load_settings(env), TABLES, max_size=2)
    try:
        rows = []
        for i in range(books):
            title = " ".join(rng.sample(WORDS, 3)).title() + f" {i}"
            meta = {"annotation": "A story about " + " and ".join(rng.sample(WORDS, 4)) + ". " * 20}
            if i % 3 == 0:
                meta |= {"series": f"Series {i % 400}", "series_index": i // 400}
            rows.append(
                Book(owner=owner, title=title, authors=json.dumps([f"Author {rng.randrange(800)}"]),
                     language=rng.choice(["en", "ru", "de", "fr"]), format="epub", status="ready",
                     content_hash=uuid.uuid4().hex, file_size=rng.randrange(100_000, 5_000_000),
                     filename=f"{title}.epub", metadata=json.dumps(meta), has_cover=i % 2 == 0,
                     created_at=now - timedelta(minutes=i))
            )  # fmt: skip
        for start in range(0, len(rows), 1000):
            await Book.insert(*rows[start : start + 1000])
        await Book.raw("VACUUM ANALYZE books")  # what autovacuum does after a bulk insert: the steady state
    finally:
        await db.close_pool()
    return email, device["password"]


def pages(books: int) -> dict[str, str]:
    last = -(-books // 50)
    kinds = {}
    for version in ("v1.2", "v2"):
        search = "q" if version == "v1.2" else "query"
        kinds |= {
            f"{version} root": f"/opds/{version}/",
            f"{version} recent p1": f"/opds/{version}/recent",
            f"{version} recent middle": f"/opds/{version}/recent?page={last // 2}",
            f"{version} all last": f"/opds/{version}/all?page={last}",
            f"{version} authors p1": f"/opds/{version}/authors",
            f"{version} series p3": f"/opds/{version}/series?page=3",
            f"{version} one author": f"/opds/{version}/author?name=Author+17",
            f"{version} one series": f"/opds/{version}/in-series?name=Series+7",
            f"{version} search": f"/opds/{version}/search?{search}=silver+crown",
        }
    return kinds


async def run(base_url: str, env: dict[str, str], args: argparse.Namespace) -> bool:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        email, password = await make_library(http, env, args.books)
    everything: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60, auth=(email, password)) as device:
        floor = []
        for _ in range(args.rounds):  # what any request costs on this machine right now (no auth, no DB)
            start = time.perf_counter()
            (await device.get("/health")).raise_for_status()
            floor.append((time.perf_counter() - start) * 1000)
        floor.sort()
        print(f"{'floor: GET /health':24} p50 {statistics.median(floor):6.1f} ms  p99 {floor[int(len(floor) * 0.99) - 1]:6.1f} ms"
              f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")  # fmt: skip
        for name, url in pages(args.books).items():
            (await device.get(url)).raise_for_status()  # warm
            latencies = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                response = await device.get(url)
                latencies.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
            everything += latencies
            ordered = sorted(latencies)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            print(f"{name:24} p50 {statistics.median(ordered):6.1f} ms  p95 {ordered[int(len(ordered) * 0.95)]:6.1f} ms"
                  f"  p99 {p99:6.1f} ms  {len(response.content) // 1024:4d} KiB")  # fmt: skip
    ordered = sorted(everything)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    ok = p99 <= GOAL_P99_MS
    print(f"{'all pages':24} p50 {statistics.median(ordered):6.1f} ms  p99 {p99:6.1f} ms  "
          f"({len(ordered)} requests, {args.books} books) — goal p99 ≤ {GOAL_P99_MS:.0f} ms: {'PASS' if ok else 'FAIL'}")  # fmt: skip
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100, help="requests per page kind")
    args = parser.parse_args()
    with running_service("bench-opds-", BOOKREADER_RATE_LIMIT_GENERAL="0") as (service, env):
        ok = asyncio.run(run(service.base_url, env, args))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
