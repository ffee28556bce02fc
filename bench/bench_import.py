"""Bulk import throughput (books/hour) and API responsiveness meanwhile.

    python bench/bench_import.py                # or: just bench-import
    python bench/bench_import.py --books 50

`--books` distinct files are made from the shared novels (each copy made unique by an archive/XML comment, so
dedupe does not skip it), then `bookreader import DIR --user EMAIL` runs as the operator would, against the
real service (`serve`: Granian + embedded worker; `--topology split`: separate `api` and `worker`
processes). While it runs, `GET /api/v1/books/{id}/chapters/1` is
asked in a loop; its latency is compared with the same loop on the idle service. Goals: ≥ 1,000 books/hour,
API p99 ≤ 50 ms during the import.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support

from tests.harness import SHARED_BOOKS, Infrastructure, LiveService, running_service  # noqa: E402
from tests.support import sign_up  # noqa: E402

SOURCES = [
    "epub2/gutenberg-kafka-metamorphosis.epub",
    "epub3/epubjs-alice.epub",
    "fb2/coolreader-grobov-example-war-and-peace.fb2",
    "epub3/idpf-childrens-literature.epub",
]


def unique_copy(data: bytes, name: str, number: int) -> bytes:
    if name.endswith(".epub"):  # same book, different bytes: a zip comment
        out = io.BytesIO(data)
        with zipfile.ZipFile(out, "a") as archive:
            archive.comment = f"bench copy {number}".encode()
        return out.getvalue()
    return data + f"\n<!-- bench copy {number} -->\n".encode()


def make_library(folder: Path, count: int) -> None:
    originals = [(name, (SHARED_BOOKS / name).read_bytes()) for name in SOURCES]
    for number in range(count):
        name, data = originals[number % len(originals)]
        suffix = ".epub" if name.endswith(".epub") else ".fb2"
        (folder / f"book-{number:04d}{suffix}").write_bytes(unique_copy(data, name, number))


async def chapter_latencies(
    http: httpx.AsyncClient, reader, url: str, stop: asyncio.Event, pace: float
) -> list[float]:
    samples = []
    while not stop.is_set():
        started = time.perf_counter()
        response = await http.get(url, headers=reader.headers)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        await asyncio.sleep(pace)
    return samples


def describe(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"n={len(samples)} p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms"


async def measure(base_url: str, env: dict[str, str], folder: Path, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        reader = await sign_up(http)
        probe = await reader.upload(SHARED_BOOKS / "epub3/epubjs-alice.epub")
        book = await reader.wait_for_book(probe.json()["id"], timeout=300)
        url = f"/api/v1/books/{book['id']}/chapters/1"

        stop = asyncio.Event()
        idle_task = asyncio.create_task(chapter_latencies(http, reader, url, stop, args.pace))
        await asyncio.sleep(args.idle_seconds)
        stop.set()
        idle = await idle_task

        stop = asyncio.Event()
        busy_task = asyncio.create_task(chapter_latencies(http, reader, url, stop, args.pace))
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bookreader", "import", str(folder), "--user", reader.email,
            env={**os.environ, **env, "COLUMNS": "120"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
        elapsed = time.perf_counter() - started
        stop.set()
        busy = await busy_task
    tail = err.decode(errors="replace").strip().splitlines()[-3:]
    print("\n".join(tail))
    print(f"import exit code {process.returncode}: {args.books} books in {elapsed:.1f} s")
    print(f"THROUGHPUT: {args.books / elapsed * 3600:.0f} books/hour (goal ≥ 1,000)")
    print(f"GET chapter idle:          {describe(idle)}")
    print(f"GET chapter during import: {describe(busy)} (goal p99 ≤ 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=200)
    parser.add_argument("--pace", type=float, default=0.05, help="seconds between chapter requests")
    parser.add_argument("--idle-seconds", type=float, default=15)
    parser.add_argument(
        "--topology",
        choices=("serve", "split"),
        default="serve",
        help="serve: API + embedded worker in one process; split: `api` and `worker` processes",
    )
    args = parser.parse_args()
    if not SHARED_BOOKS.is_dir():
        sys.exit(f"the shared books are needed: {SHARED_BOOKS}")
    with tempfile.TemporaryDirectory(prefix="bench-import-books-") as tmp:
        folder = Path(tmp)
        make_library(folder, args.books)
        extra = {"BOOKREADER_RATE_LIMIT_GENERAL": "0", "BOOKREADER_PLAN_FREE_BOOKS": "0",
                 "BOOKREADER_LOG_LEVEL": "WARNING"}  # fmt: skip
        if args.topology == "serve":
            with running_service("bench-import-", **extra) as (service, env):
                asyncio.run(measure(service.base_url, env, folder, args))
            return
        with split_service(extra) as (api, env):  # the API and the worker in separate processes
            asyncio.run(measure(api.base_url, env, folder, args))


@contextlib.contextmanager
def split_service(extra: dict[str, str]):
    from bookreader.core.db import migrate
    from bookreader.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        infra = Infrastructure(Path(tmp)).start()
        try:
            env = infra.environment(**extra, BOOKREADER_EMBEDDED_WORKER="0")
            asyncio.run(migrate(load_settings(env)))
            api = LiveService(env, command="api", log_path=Path(tmp) / "api.log").start()
            worker = LiveService(env, command="worker", log_path=Path(tmp) / "worker.log").start()
            try:
                yield api, env
            finally:
                worker.stop()
                api.stop()
        finally:
            infra.stop()


if __name__ == "__main__":
    main()
