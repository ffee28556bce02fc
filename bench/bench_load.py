"""200 simulated readers for 60 s against the real service: chapter reads, progress writes, progress reads.

Prints requests/s, p50/p99 latency and errors, then checks that every reader's last acknowledged progress
write is what the server stores (lost writes). `just bench-load` (options: --readers, --duration).

Set-up shortcut: one real reader signs up and uploads a book through the API; the other readers' accounts
and their copies of that (already processed) book are inserted straight into Postgres, and their access
tokens are signed with the service's key — 200 argon2 sign-ups and 200 book analyses would measure set-up,
not reading.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/bench_load.py` from the repo

from tests.harness import SHARED_BOOKS, random_email, running_service

from bookreader.core.security import encode_access_token

BOOK = SHARED_BOOKS / "epub2" / "gutenberg-kafka-metamorphosis.epub"


@dataclass
class SimReader:
    token: str
    book_id: str
    chapters: dict[int, int]  # number → text length
    last_ack: tuple[int, int] | None = None  # (chapter, offset) the server confirmed last


@dataclass
class LoadResult:
    readers: int
    duration: float
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    writes: int = 0
    lost_writes: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies) + len(self.errors)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def breakdown(self) -> str:
        parts = []
        for kind, values in sorted(self.by_kind.items()):
            ordered = sorted(values)
            parts.append(f"{kind}: n={len(values)} p50 {ordered[len(values) // 2] * 1000:.1f} ms")
        return "; ".join(parts)

    def summary(self) -> str:
        return (
            f"{self.readers} readers, {self.duration:.0f} s: {self.requests} requests, "
            f"{self.requests / self.duration:.1f} req/s, p50 {self.percentile(0.5) * 1000:.1f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.1f} ms, mean {statistics.fmean(self.latencies or [0]) * 1000:.1f} ms, "
            f"errors {len(self.errors)}, progress writes {self.writes}, lost writes {self.lost_writes}"
        )


async def _copy_rows(
    conn: asyncpg.Connection, table: str, overrides: dict[str, str], where: str, *args
) -> None:
    """INSERT INTO table SELECT … FROM table WHERE …, replacing some columns with expressions."""
    columns = [
        row["column_name"]
        for row in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = 'public' "
            "ORDER BY ordinal_position",
            table,
        )
    ]
    select = ", ".join(overrides.get(c, f'"{c}"') for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    await conn.execute(f'INSERT INTO "{table}" ({names}) SELECT {select} FROM "{table}" WHERE {where}', *args)


async def prepare_readers(
    http: httpx.AsyncClient, database_url: str, secret_key: str, count: int, book: Path = BOOK
) -> list[SimReader]:
    email, password = random_email(), "load test pass 1"
    assert (
        await http.post("/api/v1/auth/register", json={"email": email, "password": password})
    ).status_code == 201
    tokens = (await http.post("/api/v1/auth/login", json={"email": email, "password": password})).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    files = {"file": (book.name, book.read_bytes(), "application/octet-stream")}
    source = (await http.post("/api/v1/books", files=files, headers=headers)).json()
    deadline = time.monotonic() + 120
    while (
        status := (await http.get(f"/api/v1/books/{source['id']}", headers=headers)).json()["status"]
    ) not in (
        "ready",
        "failed",
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("the load test's book did not finish processing")
        await asyncio.sleep(0.2)
    assert status == "ready", status

    conn = await asyncpg.connect(database_url)
    try:
        source_id = uuid.UUID(source["id"])
        chapters = {
            row["number"]: row["length"]
            for row in await conn.fetch(
                "SELECT number, length(text) AS length FROM chapters WHERE book = $1", source_id
            )
        }
        readers = []
        async with conn.transaction():
            for _ in range(count):
                user_id, book_id = uuid.uuid4(), uuid.uuid4()
                await conn.execute(
                    "INSERT INTO users (id, email, password_hash, display_name) "
                    "SELECT $1, $2, password_hash, 'load' FROM users WHERE email = $3",
                    user_id,
                    random_email(),
                    email,
                )
                await _copy_rows(
                    conn,
                    "books",
                    {"id": "$2::uuid", "owner": "$3::uuid"},
                    "id = $1",
                    source_id,
                    book_id,
                    user_id,
                )
                await _copy_rows(conn, "chapters", {"id": "gen_random_uuid()", "book": "$2::uuid"}, "book = $1", source_id, book_id)  # fmt: skip
                token = encode_access_token(
                    user_id=user_id, session_id=uuid.uuid4(), secret=secret_key, ttl=3600
                )
                readers.append(SimReader(token=token, book_id=str(book_id), chapters=chapters))
        return readers
    finally:
        await conn.close()


async def _reader_loop(
    http: httpx.AsyncClient, reader: SimReader, result: LoadResult, stop_at: float
) -> None:
    headers = {"Authorization": f"Bearer {reader.token}"}
    numbers = sorted(reader.chapters)
    rng = random.Random()
    await asyncio.sleep(rng.uniform(0, 2))  # readers do not all start on the same millisecond
    while time.monotonic() < stop_at:
        roll = rng.random()
        chapter = rng.choice(numbers)
        started = time.perf_counter()
        try:
            if roll < 0.6:
                response = await http.get(
                    f"/api/v1/books/{reader.book_id}/chapters/{chapter}", headers=headers
                )
            elif roll < 0.9:
                offset = rng.randint(0, max(0, reader.chapters[chapter] - 1))
                body = {
                    "chapter": chapter,
                    "offset": offset,
                    "percentage": round(100 * numbers.index(chapter) / len(numbers), 2),
                    "device": "load",
                    "updated_at": datetime.now(UTC).isoformat(),
                }
                response = await http.put(
                    f"/api/v1/books/{reader.book_id}/progress", json=body, headers=headers
                )
                if response.status_code == 200:
                    stored = response.json()
                    reader.last_ack = (stored["chapter"], stored["offset"])
                    result.writes += 1
            else:
                response = await http.get(f"/api/v1/books/{reader.book_id}/progress", headers=headers)
                if response.status_code == 404 and reader.last_ack is None:
                    response.status_code = 200  # no position yet is a fine answer
            elapsed = time.perf_counter() - started
            kind = "read" if roll < 0.6 else "write" if roll < 0.9 else "position"
            result.by_kind.setdefault(kind, []).append(elapsed)
            if response.status_code >= 400:
                result.errors.append(
                    f"{response.request.method} {response.request.url.path}: {response.status_code}"
                )
            else:
                result.latencies.append(elapsed)
        except httpx.HTTPError as exc:
            result.errors.append(f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(rng.uniform(1.0, 3.0))  # reading, between page turns


async def verify_positions(http: httpx.AsyncClient, readers: list[SimReader]) -> int:
    lost = 0
    for reader in readers:
        if reader.last_ack is None:
            continue
        response = await http.get(
            f"/api/v1/books/{reader.book_id}/progress", headers={"Authorization": f"Bearer {reader.token}"}
        )
        stored = response.json()
        if response.status_code != 200 or (stored["chapter"], stored["offset"]) != reader.last_ack:
            lost += 1
    return lost


async def run_load(
    base_url: str,
    database_url: str,
    secret_key: str,
    *,
    readers: int = 200,
    duration: float = 60,
    book: Path = BOOK,
) -> LoadResult:
    limits = httpx.Limits(max_connections=readers, max_keepalive_connections=readers)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        sim = await prepare_readers(http, database_url, secret_key, readers, book)
        result = LoadResult(readers=readers, duration=duration)
        stop_at = time.monotonic() + duration
        await asyncio.gather(*(_reader_loop(http, reader, result, stop_at) for reader in sim))
        result.lost_writes = await verify_positions(http, sim)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60)
    args = parser.parse_args()
    with running_service("bench-load-", BOOKREADER_LOG_LEVEL="WARNING") as (service, env):
        result = asyncio.run(
            run_load(
                service.base_url,
                env["DATABASE_URL"],
                env["BOOKREADER_SECRET_KEY"],
                readers=args.readers,
                duration=args.duration,
            )
        )
    print(result.summary())
    print(" ", result.breakdown())
    for error in result.errors[:10]:
        print("  error:", error)
    raise SystemExit(1 if result.errors or result.lost_writes else 0)


if __name__ == "__main__":
    main()
