"""`bookreader import` (a real subprocess against real Postgres/Redis, its own in-process worker) and the watch
folder (two real services scanning one folder, restarted in between)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.harness import LiveService
from tests.integration.admin.isolation import isolated_environment
from tests.support import sign_up
from tests.unit.ingest.builders import make_fb2

ADMIN = "importer-admin@example.com"


def book(title: str, lang: str = "en") -> bytes:
    text = "Старый дом стоял у моря." if lang == "ru" else "The grey sea broke on the rocks."
    return make_fb2(f"<section><title><p>One</p></title><p>{text}</p><p>{text}</p></section>", title=title,
                    lang=lang).encode()  # fmt: skip


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bookreader", *args], env={**os.environ, **env, "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


async def books_of(database_url: str, email: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT b.title, b.status, b.error_code FROM books b JOIN users u ON u.id = b.owner "
            "WHERE u.email = $1 ORDER BY b.title",
            email,
        )
    finally:
        await conn.close()


@pytest.fixture
def own_env(migrated, tmp_path: Path):
    with isolated_environment(migrated, tmp_path) as env:
        done = cli(env, "create-admin", ADMIN, "--password", "correct horse 1")
        assert done.returncode == 0, done.stderr
        yield env


async def test_import_command_progress_summary_dedupe_and_exit_code(own_env, tmp_path: Path) -> None:
    library = tmp_path / "library"
    (library / "nested").mkdir(parents=True)
    (library / "sea.fb2").write_bytes(book("Sea"))
    (library / "copy of sea.fb2").write_bytes(book("Sea"))  # same content: one book
    (library / "дом.fb2").write_bytes(book("Дом", "ru"))
    (library / "nested" / "deep.fb2").write_bytes(book("Deep"))
    (library / "broken.epub").write_bytes(b"this is not a book at all")
    (library / "sea2.fb2.part").write_bytes(book("Partial"))  # a download in progress: not a book file yet
    (library / "notes.txt").write_text("not a book")

    flat = cli(own_env, "import", str(library))
    assert flat.returncode == 1, flat.stderr  # broken.epub failed
    assert "Import summary" in flat.stderr and "broken.epub" in flat.stderr
    assert "unsupported_format" in flat.stderr and "found 4" in flat.stderr
    assert [r["title"] for r in await books_of(own_env["DATABASE_URL"], ADMIN)] == ["Sea", "Дом"]

    deep = cli(own_env, "import", str(library), "--recursive", "--user", ADMIN)
    assert deep.returncode == 1 and "found 5" in deep.stderr
    rows = await books_of(own_env["DATABASE_URL"], ADMIN)
    assert [r["title"] for r in rows] == ["Deep", "Sea", "Дом"] and {r["status"] for r in rows} == {"ready"}

    (library / "broken.epub").unlink()
    clean = cli(own_env, "import", str(library), "-r", "--user", ADMIN)
    assert clean.returncode == 0, clean.stderr
    assert "duplicate" in clean.stderr and len(await books_of(own_env["DATABASE_URL"], ADMIN)) == 3
    unknown = cli(own_env, "import", str(library), "--user", "nobody@example.com")
    assert unknown.returncode != 0 and "no such user" in unknown.stderr


async def _wait_books(database_url: str, email: str, count: int, timeout: float = 90) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await books_of(database_url, email)
        if len(rows) >= count and all(r["status"] in ("ready", "failed") for r in rows):
            return rows
        await asyncio.sleep(0.3)
    raise AssertionError(f"{email}: {await books_of(database_url, email)}")


@pytest.mark.slow
async def test_watch_folder_imports_each_file_once_never_half_written(own_env, tmp_path: Path) -> None:
    watch = tmp_path / "watch"
    watch.mkdir()
    env = {**own_env, "BOOKREADER_IMPORT_DIR": str(watch), "BOOKREADER_IMPORT_SETTLE_SECONDS": "1.5"}
    services = [LiveService(env, log_path=tmp_path / f"service-{i}.log").start() for i in range(2)]
    try:
        async with httpx.AsyncClient(base_url=services[0].base_url, timeout=30) as http:
            reader = await sign_up(http)
        (watch / reader.email).mkdir()
        (watch / "for-admin.fb2").write_bytes(book("Admin Book"))
        (watch / reader.email / "mine.fb2").write_bytes(book("Reader Book"))
        slow = watch / "slow.fb2"  # written in pieces over ~4 s: must not be taken half-written
        data = book("Slow Book")
        with slow.open("wb") as fh:
            for i in range(0, len(data), len(data) // 8 + 1):
                fh.write(data[i : i + len(data) // 8 + 1])
                fh.flush()
                await asyncio.sleep(0.5)
        admin_rows = await _wait_books(env["DATABASE_URL"], ADMIN, 2)
        assert [(r["title"], r["status"]) for r in admin_rows] == [
            ("Admin Book", "ready"),
            ("Slow Book", "ready"),
        ]
        assert [r["title"] for r in await _wait_books(env["DATABASE_URL"], reader.email, 1)] == [
            "Reader Book"
        ]

        for service in services:  # restart both: nothing is imported again
            service.stop()
        services = [LiveService(env, log_path=tmp_path / f"service-{i}-again.log").start() for i in range(2)]
        await asyncio.sleep(7)  # more than one scan
        assert len(await books_of(env["DATABASE_URL"], ADMIN)) == 2
        conn = await asyncpg.connect(env["DATABASE_URL"])
        try:
            claims = await conn.fetch("SELECT path, status FROM imported_files ORDER BY path")
        finally:
            await conn.close()
        assert len(claims) == 3 and {c["status"] for c in claims} == {"accepted"}
    finally:
        for service in services:
            service.stop()
