"""Ingest speed: every book in ../shared/books through `parse_book`, per book and in total.

    python bench/bench_ingest.py            # or: just bench-ingest

Prints, per book: size, chapters, words, best-of-N parse time, MB/s and words/s; then the totals (sum of
best times). Parsing is single-threaded and pure, so this is also the CPU cost the worker pays per upload.

Then (unless --no-service) upload → first chapter readable through the running app (embedded Postgres +
Redis, `python -m bookreader serve` with its worker): the time from the POST until
`GET /chapters/1` answers 200, for the largest file and for the book with the most words, each
uploaded twice by fresh users (the first run also pays the process pool's start).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bookreader.ingest import IngestError, parse_book

ROOT = Path(__file__).resolve().parents[1]
BOOKS = ROOT / ".." / "shared" / "books"


def best_time(data: bytes, repeat: int) -> tuple[float, int, int, str]:
    best = float("inf")
    chapters = words = 0
    outcome = "ok"
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            book = parse_book(data, asset_base_url="/api/v1/books/bench/assets/")
            chapters, words = len(book.chapters), book.word_count
        except IngestError as error:
            outcome = error.code
        best = min(best, time.perf_counter() - start)
    return best, chapters, words, outcome


def first_chapter_readable(names: list[str]) -> None:
    import asyncio

    import httpx

    sys.path.insert(0, str(ROOT))  # tests.harness, from `python bench/<name>.py`
    from tests.harness import random_email, running_service

    async def sign_in(http: httpx.AsyncClient) -> dict[str, str]:
        email, password = random_email(), "correct horse 1"
        await http.post("/api/v1/auth/register", json={"email": email, "password": password})
        tokens = (await http.post("/api/v1/auth/login", json={"email": email, "password": password})).json()
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    async def one(http: httpx.AsyncClient, name: str) -> tuple[float, int]:
        headers = await sign_in(http)
        data = (BOOKS / name).read_bytes()
        start = time.perf_counter()
        created = await http.post("/api/v1/books", files={"file": (Path(name).name, data)}, headers=headers)
        book_id = created.json()["id"]
        while True:
            chapter = await http.get(f"/api/v1/books/{book_id}/chapters/1", headers=headers)
            if chapter.status_code == 200:
                return time.perf_counter() - start, len(data)
            if time.perf_counter() - start > 300:
                raise TimeoutError(name)
            await asyncio.sleep(0.01)

    async def run(base_url: str) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            for name in names:
                for attempt in ("first", "warm"):
                    seconds, size = await one(http, name)
                    print(
                        f"upload→first chapter readable: {name} ({size / 1e6:.2f} MB, {attempt} run): {seconds:.2f} s"
                    )

    with running_service("bench-ingest-") as (service, _env):
        asyncio.run(run(service.base_url))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per book; the best is reported")
    parser.add_argument("--no-service", action="store_true", help="skip the upload→readable measurement")
    args = parser.parse_args()
    files = sorted(path for path in BOOKS.glob("*/*") if path.is_file() and path.name != "MANIFEST.tsv")
    most_words = ("", 0)
    total_bytes = total_words = 0
    total_time = 0.0
    print(f"{'book':62} {'KB':>7} {'ch':>4} {'words':>8} {'ms':>8} {'MB/s':>7} {'kwords/s':>9}  result")
    for path in files:
        data = path.read_bytes()
        seconds, chapters, words, outcome = best_time(data, args.repeat)
        total_bytes += len(data)
        total_words += words
        total_time += seconds
        if words > most_words[1]:
            most_words = (str(path.relative_to(BOOKS)), words)
        print(
            f"{path.relative_to(BOOKS)!s:62} {len(data) / 1024:7.0f} {chapters:4} {words:8} "
            f"{seconds * 1000:8.1f} {len(data) / 1e6 / seconds:7.2f} {words / 1000 / seconds:9.0f}  {outcome}"
        )
    print(
        f"{'TOTAL (' + str(len(files)) + ' files)':62} {total_bytes / 1024:7.0f} {'':4} {total_words:8} "
        f"{total_time * 1000:8.1f} {total_bytes / 1e6 / total_time:7.2f} {total_words / 1000 / total_time:9.0f}"
    )
    if not args.no_service:
        largest = str(max(files, key=lambda path: path.stat().st_size).relative_to(BOOKS))
        first_chapter_readable(list(dict.fromkeys([largest, most_words[0]])))


if __name__ == "__main__":
    main()
