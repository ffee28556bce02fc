"""`bookreader backup` → wipe → `bookreader restore` gives back identical rows and files."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
from tests.harness import _with_database, random_email, template_of

from bookreader.core.embedded import create_database, drop_database


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bookreader", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def cli(env: dict[str, str], *args: str) -> str:
    done = run_cli(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stderr


async def snapshot_rows(url: str) -> dict[str, tuple[int, str]]:
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        result = {}
        for row in tables:
            name = row["table_name"]
            result[name] = tuple(
                await conn.fetchrow(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{name}\" t"
                )
            )
        return result
    finally:
        await conn.close()


def snapshot_files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


async def test_backup_wipe_restore_round_trip(migrated, tmp_path) -> None:
    admin_url = _with_database(migrated["DATABASE_URL"], "postgres")
    name = f"bookreader_backup_{uuid.uuid4().hex[:10]}"
    # a copy of the session's migrated template (conftest `migrated`) rather than a `bookreader migrate` run
    await create_database(admin_url, name, template=template_of(migrated["DATABASE_URL"]))
    url = _with_database(migrated["DATABASE_URL"], name)
    data = tmp_path / "data"
    env = {**migrated, "DATABASE_URL": url, "BOOKREADER_DATA_DIR": str(data)}
    try:
        cli(env, "create-admin", random_email(), "--password", "admin password 1")
        conn = await asyncpg.connect(url)
        try:
            owner = await conn.fetchval("SELECT id FROM users LIMIT 1")
            book_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO books (id, owner, title, authors, format, status, content_hash, metadata) "
                "VALUES ($1, $2, 'Kafka, with ünïcode', '[\"F. K.\"]', 'epub', 'ready', 'abc', '{\"year\": 1915}')",
                book_id,
                owner,
            )
            await conn.execute(
                "INSERT INTO chapters (id, book, number, title, html, text, paragraphs) "
                "VALUES ($1, $2, 1, 'One', '<p>Gregor</p>', 'Gregor', '[[0, 6]]')",
                uuid.uuid4(),
                book_id,
            )
        finally:
            await conn.close()
        files = data / "files" / "books" / str(book_id)
        (files / "assets").mkdir(parents=True)
        (files / "original").write_bytes(os.urandom(50_000))
        (files / "assets" / "cover.png").write_bytes(b"\x89PNG" + os.urandom(1000))

        rows_before = await snapshot_rows(url)
        files_before = snapshot_files(data / "files")
        assert rows_before["books"][0] == 1 and rows_before["chapters"][0] == 1
        assert rows_before["users"][0] == 1 and len(files_before) == 2

        archive = tmp_path / "backups" / "b.tar.gz"
        assert "backup written" in cli(env, "backup", str(archive))
        assert archive.stat().st_size > 50_000

        await drop_database(admin_url, name)  # the disaster
        await create_database(admin_url, name)
        shutil.rmtree(data / "files")
        assert "books" not in await snapshot_rows(url)

        busy = await asyncpg.connect(url)  # a service still running against the database
        try:
            refused = run_cli(env, "restore", str(archive))
        finally:
            await busy.close()
        assert refused.returncode == 1 and "stop the api and worker" in refused.stderr

        assert "restored backup" in cli(env, "restore", str(archive))
        assert await snapshot_rows(url) == rows_before
        assert snapshot_files(data / "files") == files_before
        assert not [p for p in data.iterdir() if p.name.startswith(".restore-")]  # staging cleaned up
    finally:
        await drop_database(admin_url, name)


def test_restore_refuses_a_foreign_archive(migrated, tmp_path) -> None:
    import tarfile

    bogus = tmp_path / "bogus.tar.gz"
    (tmp_path / "readme.txt").write_text("not a backup")
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(tmp_path / "readme.txt", arcname="readme.txt")
    env = {**migrated, "BOOKREADER_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "bookreader", "restore", str(bogus)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "not a BookReader backup" in done.stderr
