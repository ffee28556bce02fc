"""What keeping every version of a picture costs the reading path (issue 14): GET chapter picks one version
of each scene picture (pinned, else the newest) in its one statement.

    python bench/bench_picture_versions.py            # or: just bench-picture-versions
    python bench/bench_picture_versions.py --pictures 30 --versions 5 --rounds 400

Starts embedded Postgres + Redis and the service, uploads a generated novel, gives chapter 1 --pictures ready
scene pictures, and times GET /books/{id}/chapters/1 (p50/p95) with one version each, then again after adding
--versions - 1 more versions of every picture (half of them pinned to an older one). Beside it, the chapter's
images subquery alone through asyncpg, old (every row, before versions) vs new (one version per picture),
interleaved in one run so the machine's load cancels in the ratio. Prints the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.*, from `python bench/<name>.py`

from tests.books import cast_epub
from tests.harness import running_service
from tests.support import Reader, sign_up

from bookreader.domain.books.extensions import IMAGES_SQL

OLD_IMAGES_SQL = """(SELECT coalesce(json_agg(json_build_object(
        'id', i.id, 'description', i.description, 'book', i.book, 'chapter', i.chapter, 'status', i.status,
        'prompt', i.prompt, 'provider', i.provider, 'style', i.style, 'error_code', i.error_code,
        'error_message', i.error_message, 'created_at', i.created_at, 'updated_at', i.updated_at,
        'content_hash', f.content_hash, 'media_type', f.media_type, 'file_width', f.width,
        'file_height', f.height) ORDER BY i.created_at), '[]')
    FROM images i LEFT JOIN image_files f ON f.id = i.file
    WHERE i.owner = $2 AND i.book = b.id AND i.chapter = $3)::text"""


def statement(subquery: str) -> str:
    return f"SELECT {subquery} AS images FROM books b WHERE b.id = $1"


async def add_pictures(conn: asyncpg.Connection, owner: uuid.UUID, book: uuid.UUID, count: int) -> list:
    file_id = await conn.fetchval(
        "INSERT INTO image_files (prompt_hash, content_hash, media_type, width, height, size_bytes, provider)"
        " VALUES ($1, $2, 'image/png', 768, 512, 1000, 'placeholder') RETURNING id",
        uuid.uuid4().hex * 2, uuid.uuid4().hex * 2,
    )  # fmt: skip
    slots = []
    for n in range(count):
        description = await conn.fetchval(
            "INSERT INTO descriptions (id, book, chapter, type, text, start, \"end\", confidence, priority)"
            " VALUES (gen_random_uuid(), $1, 1, 'location', $2, $3, $4, 0.5, 0.5) RETURNING id",
            book, f"A bench passage {n}.", n * 10, n * 10 + 5,
        )  # fmt: skip
        slots.append((description, file_id))
    await add_versions(conn, owner, book, slots, range(1))
    return slots


async def add_versions(conn, owner, book, slots, variants) -> None:
    for description, file_id in slots:
        for variant in variants:
            await conn.execute(
                "INSERT INTO images (owner, book, description, file, chapter, status, kind, prompt, style, provider,"
                " width, height, prompt_hash, variant) VALUES ($1, $2, $3, $4, 1, 'ready', 'location', 'p', 'ink',"
                " 'placeholder', 768, 512, $5, $6)",
                owner, book, description, file_id, uuid.uuid4().hex * 2, variant,
            )  # fmt: skip


async def get_times(reader: Reader, url: str, rounds: int) -> tuple[list[float], int]:
    times, images = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = await reader.get(url)
        times.append((time.perf_counter() - started) * 1000)
        images = len(response.json()["images"])
    return times, images


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    return f"p50 {statistics.median(ordered):.2f} ms, p95 {ordered[int(len(ordered) * 0.95)]:.2f} ms"


async def sql_ratio(conn, book, owner, rounds: int) -> tuple[float, float]:
    old, new = await conn.prepare(statement(OLD_IMAGES_SQL)), await conn.prepare(statement(IMAGES_SQL))
    spent = {"old": [], "new": []}
    for _ in range(rounds):
        for name, prepared in (("old", old), ("new", new)):
            started = time.perf_counter()
            await prepared.fetchval(book, owner, 1)
            spent[name].append((time.perf_counter() - started) * 1e6)
    return statistics.median(spent["old"]), statistics.median(spent["new"])


async def run(base_url: str, env: dict[str, str], args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        reader = await sign_up(client)
        files = {"file": ("bench.epub", cast_epub(), "application/epub+zip")}
        book = await reader.wait_for_book(
            (await reader.post("/api/v1/books", files=files)).json()["id"], timeout=240
        )
        owner = uuid.UUID((await reader.get("/api/v1/users/me")).json()["id"])
        book_id = uuid.UUID(book["id"])
        url = f"/api/v1/books/{book_id}/chapters/1"
        conn = await asyncpg.connect(env["DATABASE_URL"])
        try:
            await asyncio.sleep(3)  # the pre-generated pictures of chapter 1 settle
            slots = await add_pictures(conn, owner, book_id, args.pictures)
            await conn.execute("ANALYZE images")
            await get_times(reader, url, 20)  # warm up
            one, shown_one = await get_times(reader, url, args.rounds)
            old_us, new_us = await sql_ratio(conn, book_id, owner, args.rounds)
            await add_versions(conn, owner, book_id, slots, range(1, args.versions))
            pinned = [description for description, _ in slots[::2]]
            await conn.execute(
                "UPDATE images SET pinned = true WHERE variant = 1 AND description = ANY($1::uuid[])", pinned
            )
            await conn.execute("ANALYZE images")
            many, shown_many = await get_times(reader, url, args.rounds)
            old_many, new_many = await sql_ratio(conn, book_id, owner, args.rounds)
            if args.explain:
                plan = await conn.fetch(
                    f"EXPLAIN (ANALYZE, BUFFERS) {statement(IMAGES_SQL)}", book_id, owner, 1
                )
                print("\n".join(row[0] for row in plan))
        finally:
            await conn.close()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"chapter with {args.pictures} pictures (+ chapter 1's own), GET /chapters/1, {args.rounds} rounds:"
    )
    print(f"  1 version each:  {summary(one)}  ({shown_one} images in the answer)")
    print(f"  {args.versions} versions each: {summary(many)}  ({shown_many} images in the answer)")
    print("images subquery alone, median per call (old: every row; new: one version per picture):")
    print(f"  1 version each:  old {old_us:.0f} µs, new {new_us:.0f} µs, new/old {new_us / old_us:.2f}")
    print(
        f"  {args.versions} versions each: old {old_many:.0f} µs, new {new_many:.0f} µs, new/old {new_many / old_many:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=30)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--explain", action="store_true", help="print the new statement's plan")
    args = parser.parse_args()
    with running_service("bench-versions-", BOOKREADER_RATE_LIMIT_GENERAL="0") as (service, env):
        asyncio.run(run(service.base_url, env, args))


if __name__ == "__main__":
    main()
