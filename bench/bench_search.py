"""Full-text search latency over a library of 1,000 novels (two-word queries across the whole library).

    python bench/bench_search.py              # or: just bench-search
    python bench/bench_search.py --novels 200 --rounds 5

A few shared novels (English and Russian) go through the real pipeline (upload → parse → search passages
built at ingest); the library is then grown to `--novels` books by copying those novels' passages into new
book rows of the same user (SQL, so the tsvectors are computed by PostgreSQL as at ingest). Queries run one
at a time through the HTTP API (`GET /api/v1/search?q=`); the goal is p99 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support

from tests.harness import SHARED_BOOKS, running_service  # noqa: E402
from tests.support import sign_up  # noqa: E402

NOVELS = [
    "epub3/idpf-moby-dick.epub",
    "epub2/gutenberg-kafka-metamorphosis.epub",
    "epub3/epubjs-alice.epub",
    "fb2/coolreader-grobov-example-war-and-peace.fb2",
    "epub3/idpf-childrens-literature.epub",
]
QUERIES = [
    "white whale", "old man", "dark night", "sea water", "little girl", "great house", "her sister",
    "long time", "Captain Ahab", "\"the sea\" ship", "poor Gregor", "Alice rabbit", "old sailor",
    "смысл жизни", "закон эквивалентности", "внешний объект", "принцип восприятия", "sail*  ship", "whal* oil", "queen said",
]  # fmt: skip

COPY_PASSAGES = """
INSERT INTO search_passages (book, owner, chapter, start, config, text)
SELECT $1, owner, chapter, start, config, text FROM search_passages WHERE book = $2
"""


async def grow_library(database_url: str, owner: uuid.UUID, templates: list[dict], novels: int) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        have = len(templates)
        started = time.perf_counter()
        for i in range(novels - have):
            template = templates[i % have]
            book_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO books (id, owner, title, authors, language, format, status, content_hash, "
                "chapter_count, word_count) SELECT $1, owner, title || ' #' || $3::text, authors, language, "
                "format, 'ready', $4, chapter_count, word_count FROM books WHERE id = $2",
                book_id, template["id"], str(i + 1), uuid.uuid4().hex * 2,
            )  # fmt: skip
            await conn.execute(COPY_PASSAGES, book_id, template["id"])
            if (i + 1) % 100 == 0:
                print(f"  {i + 1 + have} novels ({time.perf_counter() - started:.0f} s)", flush=True)
        await conn.execute("VACUUM ANALYZE search_passages")
        return await conn.fetchval("SELECT count(*) FROM search_passages WHERE owner = $1", owner)
    finally:
        await conn.close()


async def measure(base_url: str, env: dict[str, str], args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        reader = await sign_up(http)
        templates = []
        for name in NOVELS:
            book = (await reader.upload(SHARED_BOOKS / name)).json()
            book = await reader.wait_for_book(book["id"], timeout=900)
            assert book["status"] == "ready", book
            templates.append(book)
        me = (await reader.get("/api/v1/users/me")).json()
        print(f"ingested {len(templates)} novels through the pipeline; growing the library to {args.novels}")
        passages = await grow_library(env["DATABASE_URL"], uuid.UUID(me["id"]), templates, args.novels)
        total_books = (await reader.get("/api/v1/books", params={"limit": 1})).json()["total"]
        print(f"library: {total_books} books, {passages} passages")

        for q in QUERIES:  # warm-up: caches as a running server has them
            assert (await reader.get("/api/v1/search", params={"q": q})).status_code == 200
        latencies: list[float] = []
        totals: dict[str, int] = {}
        for _ in range(args.rounds):
            for q in QUERIES:
                started = time.perf_counter()
                answer = await reader.get("/api/v1/search", params={"q": q, "limit": 20})
                latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
                totals[q] = answer.json()["total"]
    latencies.sort()
    p = statistics.quantiles(latencies, n=100)
    print("hits per query: " + ", ".join(f"{q!r}={n}" for q, n in totals.items()))
    print(f"{len(latencies)} two-word queries over {total_books} novels: p50 {p[49] * 1000:.1f} ms, "
          f"p95 {p[94] * 1000:.1f} ms, p99 {p[98] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")  # fmt: skip
    print(f"GOAL p99 ≤ 100 ms: {'met' if p[98] <= 0.1 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--novels", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10, help="times each query is asked")
    args = parser.parse_args()
    if not SHARED_BOOKS.is_dir():
        sys.exit(f"the shared books are needed: {SHARED_BOOKS}")
    with running_service(
        "bench-search-",
        BOOKREADER_RATE_LIMIT_GENERAL="0",
        BOOKREADER_PLAN_FREE_BOOKS="0",
        BOOKREADER_IMAGE_PREGENERATE="0",
        BOOKREADER_LOG_LEVEL="WARNING",
    ) as (service, env):
        asyncio.run(measure(service.base_url, env, args))


if __name__ == "__main__":
    main()
