"""Bulk import: find EPUB/FB2 files, push each through the normal upload (dedupe by content hash, quota,
queueing), and the watch folder that does the same for files dropped into `BOOKREADER_IMPORT_DIR`."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from asyncpg.exceptions import UniqueViolationError

from bookreader.core.errors import DomainError
from bookreader.core.jobs import JobContext
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.service import upload
from bookreader.domain.books.tables import Book
from bookreader.domain.imports.tables import ImportedFile
from bookreader.ingest import content_hash_file
from bookreader.settings import Settings

log = logging.getLogger(__name__)

SUFFIXES = (".epub", ".fb2", ".fb2.zip")
STALE_CLAIM = 600  # seconds: a claim not finished by then was lost with its worker
PARTIAL = (".part", ".partial", ".tmp", ".crdownload", ".download", "~")


def is_book_file(path: Path) -> bool:
    name = path.name.lower()
    return not name.startswith(".") and name.endswith(SUFFIXES) and not name.endswith(PARTIAL)


def find_books(paths: list[Path], *, recursive: bool) -> list[Path]:
    """Book files under `paths` (files named directly are taken as they are), sorted, each once."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_file():
            found[path.resolve()] = None
        elif path.is_dir():
            children = path.rglob("*") if recursive else path.iterdir()
            for child in sorted(children):
                if child.is_file() and is_book_file(child):
                    found[child.resolve()] = None
    return list(found)


@dataclass
class Outcome:
    path: Path
    status: str  # accepted | duplicate | failed
    book_id: uuid.UUID | None = None
    title: str = ""
    reason: str = ""


async def import_file(user: User, path: Path, *, settings: Settings, storage: Any, queue: Any) -> Outcome:
    """One file through the normal upload path; never raises for a bad file."""
    try:
        book, created = await upload_path(user, path, settings=settings, storage=storage, queue=queue)
    except OSError as exc:
        return Outcome(path, "failed", reason=f"unreadable: {exc.strerror or exc}")
    except DomainError as exc:
        return Outcome(path, "failed", reason=f"{exc.code}: {exc.message}")
    return Outcome(path, "accepted" if created else "duplicate", book.id, book.title)


async def upload_path(user: User, path: Path, **context: Any) -> tuple[Book, bool]:
    """The upload of a file on disk, streamed from it like an HTTP upload (never read whole)."""
    source = await anyio.to_thread.run_sync(path.open, "rb")
    try:
        return await upload(user, path.name, source, **context)
    finally:
        await anyio.to_thread.run_sync(source.close)


def _hash_path(path: Path) -> str:
    with path.open("rb") as source:
        return content_hash_file(source)


async def book_statuses(ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str | None, str]]:
    """book id → (status, error message, title) as parsing left them."""
    if not ids:
        return {}
    rows = await Book.select(Book.id, Book.status, Book.error_message, Book.title).where(Book.id.is_in(ids))
    return {row["id"]: (row["status"], row["error_message"], row["title"]) for row in rows}


# ---- the watch folder ----------------------------------------------------------------------------------


def _settled(path: Path, settle: float) -> bool:
    """Not being written: unchanged for `settle` seconds (size and mtime stable across a short look too)."""
    try:
        first = path.stat()
        if time.time() - first.st_mtime < settle:
            return False
        time.sleep(0.05)
        second = path.stat()
    except OSError:
        return False
    return (first.st_size, first.st_mtime_ns) == (second.st_size, second.st_mtime_ns) and first.st_size > 0


def _watch_candidates(root: Path, settle: float) -> list[tuple[str | None, Path]]:
    """(owner email or None for the default user, file) for every settled book file under `root`."""
    found: list[tuple[str | None, Path]] = []
    if not root.is_dir():
        return found
    for child in sorted(root.iterdir()):
        if child.is_dir() and "@" in child.name:
            found += [
                (child.name.lower(), f) for f in sorted(child.rglob("*")) if f.is_file() and is_book_file(f)
            ]
        elif child.is_dir():
            found += [(None, f) for f in sorted(child.rglob("*")) if f.is_file() and is_book_file(f)]
        elif child.is_file() and is_book_file(child):
            found.append((None, child))
    return [(owner, path) for owner, path in found if _settled(path, settle)]


async def default_user(settings: Settings) -> User | None:
    if settings.import_user:
        return await User.objects().where(User.email == settings.import_user.lower()).first()
    return await User.objects().where(User.role == "admin").order_by(User.created_at).first()


async def _claim(user: User, path: Path) -> int | None:
    """Claim `path` for import, or None when it was imported before (by anyone, any time) or is unreadable."""
    mtime = (await anyio.Path(path).stat()).st_mtime
    seen = await ImportedFile.select(ImportedFile.created_at).where(
        ImportedFile.owner == user.id, ImportedFile.path == str(path)
    )
    if any(row["created_at"].timestamp() >= mtime for row in seen):
        return None  # known, and not changed since
    digest = await anyio.to_thread.run_sync(_hash_path, path)
    try:
        rows = await ImportedFile.insert(
            ImportedFile(owner=user.id, path=str(path), content_hash=digest)
        ).returning(ImportedFile.id)
    except UniqueViolationError:  # another worker (or an earlier run) has it...
        stale = datetime.now(UTC) - timedelta(seconds=STALE_CLAIM)
        rows = await ImportedFile.update({ImportedFile.created_at: datetime.now(UTC)}).where(
            ImportedFile.owner == user.id, ImportedFile.path == str(path),
            ImportedFile.content_hash == digest, ImportedFile.status == "claimed",
            ImportedFile.created_at < stale,
        ).returning(ImportedFile.id)  # fmt: skip
        if not rows:  # ...unless that one died before finishing: then take it over
            return None
    return rows[0]["id"]


async def scan_import_dir(ctx: JobContext) -> int:
    """Import new settled files of the watch folder once each; returns how many were claimed now."""
    settings: Settings = ctx["settings"]
    if not settings.import_dir:
        return 0
    root = Path(settings.import_dir)
    candidates = await anyio.to_thread.run_sync(_watch_candidates, root, settings.import_settle_seconds)
    fallback = await default_user(settings) if any(owner is None for owner, _ in candidates) else None
    users: dict[str | None, User | None] = {None: fallback}
    claimed = 0
    for owner, path in candidates:
        if owner not in users:
            users[owner] = await User.objects().where(User.email == owner).first()
        user = users[owner]
        if user is None:
            continue
        try:
            claim = await _claim(user, path)
        except OSError as exc:
            log.warning("watch folder: cannot read %s: %s", path, exc)
            continue
        if claim is None:
            continue
        claimed += 1
        row_id = claim
        try:
            book, created = await upload_path(
                user, path, settings=settings, storage=ctx["storage"], queue=ctx["redis"]
            )
            values = {ImportedFile.book: book.id, ImportedFile.status: "accepted" if created else "duplicate"}
        except DomainError as exc:
            values = {ImportedFile.status: "failed", ImportedFile.error: f"{exc.code}: {exc.message}"}
        except OSError as exc:  # removed or unreadable since it was claimed
            values = {ImportedFile.status: "failed", ImportedFile.error: f"unreadable: {exc.strerror or exc}"}
        await ImportedFile.update(values).where(ImportedFile.id == row_id)
        log.info("watch folder: %s → %s", path, values.get(ImportedFile.status))
    return claimed
