"""Uploads are streamed (security review #11): the API keeps the spooled file on disk, checks, hashes and copies
it in chunks, so a book at the size limit costs the API process a chunk of memory, not the whole file."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import httpx
from tests.harness import LiveService
from tests.support import sign_up
from tests.unit.ingest.builders import make_epub, xhtml

from bookreader.core.embedded import EmbeddedRedis

BIG = 40 * 1024 * 1024  # incompressible bytes inside the EPUB: the file is ~40 MB (limit 50 MB)


def group_pids(group: int) -> list[int]:
    """Every process of the service's process group (Granian's and its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == group:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def reset_peaks(pids: list[int]) -> dict[int, int]:
    """Start measuring peaks now (Linux: `5` to clear_refs resets VmHWM); pid → resident set now, KiB."""
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    return {pid: memory_kib(pid, "VmRSS") for pid in pids}


async def test_a_large_upload_is_not_held_in_memory(migrated, tmp_path) -> None:
    redis = EmbeddedRedis(tmp_path / "redis", persistent=False)  # its queue is nobody else's
    env = {
        **migrated,
        "REDIS_URL": redis.start(),
        "BOOKREADER_DATA_DIR": str(tmp_path / "data"),
        "BOOKREADER_EMBEDDED_WORKER": "0",  # only the API's own memory is measured
    }
    service = LiveService(env, command="api", log_path=tmp_path / "api.log").start()
    book = tmp_path / "big.epub"
    payload = random.Random(11).randbytes(BIG)
    book.write_bytes(
        make_epub({"c1.xhtml": xhtml("<p>A short book with a very large picture.</p>")},
                  extra_files={"OEBPS/images/plate.bin": payload})
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=120) as http:
            reader = await sign_up(http)
            warm = tmp_path / "warm.epub"  # the first upload loads code paths; measure the second
            warm.write_bytes(make_epub({"c1.xhtml": xhtml("<p>Warm up.</p>")}, title="Warm"))
            assert (await reader.upload(warm)).status_code == 202
            before = reset_peaks(group_pids(service.process.pid))

            uploaded = await reader.upload(book)
            assert uploaded.status_code == 202, uploaded.text
            grown_mib = max(memory_kib(pid, "VmHWM") - rss for pid, rss in before.items()) / 1024
            # read whole, the upload alone would add ≥ 40 MiB (plus its copy for the hash and the write)
            assert grown_mib < 16, f"peak RSS of the API grew by {grown_mib:.1f} MiB for a 40 MB upload"

            stored = Path(env["BOOKREADER_DATA_DIR"]) / "files" / "books" / uploaded.json()["id"] / "original"
            assert stored.stat().st_size == book.stat().st_size == uploaded.json()["file_size"]
            assert hashlib.sha256(stored.read_bytes()).digest() == hashlib.sha256(book.read_bytes()).digest()
            again = await reader.upload(book)  # the chunked hash is the dedup key as before
            assert again.status_code == 200 and again.json()["id"] == uploaded.json()["id"]
    finally:
        service.stop()
        redis.stop()
