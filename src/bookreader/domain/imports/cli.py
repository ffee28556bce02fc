"""`bookreader import PATH… [--user EMAIL] [--recursive]`: bulk import with a live progress bar.

Files go through the normal upload (dedupe by content hash, quota, the ARQ pipeline). When no worker is alive
on the queue, one runs inside this process so the books actually get processed. Exit code 1 when any failed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import anyio
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from bookreader.core import db
from bookreader.core.maintenance import workers_prefix
from bookreader.core.queue import create_queue
from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.imports.service import Outcome, book_statuses, default_user, find_books, import_file
from bookreader.settings import Settings
from bookreader.tables import TABLES
from bookreader.worker import create_worker

POLL = 0.5


class Counts:
    def __init__(self, found: int) -> None:
        self.found, self.accepted, self.duplicate, self.ready, self.failed = found, 0, 0, 0, 0
        self.started = time.monotonic()

    def line(self) -> str:
        minutes = max(time.monotonic() - self.started, 1e-6) / 60
        rate = (self.ready + self.failed) / minutes
        return (
            f"found {self.found} · accepted {self.accepted} · duplicates {self.duplicate} · "
            f"[green]ready {self.ready}[/] · [red]failed {self.failed}[/] · {rate:.1f} books/min"
        )


async def _user(settings: Settings, email: str | None) -> User:
    user = (
        await User.objects().where(User.email == email.lower()).first()
        if email
        else await default_user(settings)
    )
    if user is None:
        raise SystemExit(f"bookreader import: no such user {email!r}" if email else
                         "bookreader import: pass --user EMAIL (no BOOKREADER_IMPORT_USER and no admin)")  # fmt: skip
    return user


async def _worker_alive(queue, settings: Settings) -> bool:
    async for _ in queue.scan_iter(match=workers_prefix(settings.queue_name) + "*", count=100):
        return True
    return False


async def run_import(
    settings: Settings, paths: list[str], email: str | None, recursive: bool, wait: bool
) -> int:
    console = Console(stderr=True)
    await db.start_pool(settings, TABLES, max_size=5)
    queue = await create_queue(settings, retries=3)
    worker = worker_task = None
    try:
        user = await _user(settings, email)
        files = await anyio.to_thread.run_sync(
            lambda: find_books([Path(p) for p in paths], recursive=recursive)
        )
        if wait and not await _worker_alive(queue, settings):
            console.print("no worker is running on this queue: processing the books in this process")
            worker = create_worker(settings, embedded=True)
            worker_task = asyncio.create_task(worker.async_run())
        outcomes = await _import_all(console, settings, user, files, queue, wait)
    finally:
        if worker is not None and worker_task is not None:
            await worker.close()
            worker_task.cancel()
            await asyncio.gather(worker_task, return_exceptions=True)
        await queue.aclose()
        await db.close_pool()
    _summary(console, outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        console.print(f"[red]{len(failed)} of {len(outcomes)} failed[/] (reasons above)")
    return 1 if failed else 0


async def _import_all(console, settings, user, files: list[Path], queue, wait: bool) -> list[Outcome]:
    counts = Counts(len(files))
    storage = Storage.from_settings(settings)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())  # fmt: skip
    outcomes: list[Outcome] = []
    pending: dict[uuid.UUID, Outcome] = {}
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(counts.line(), total=max(len(files), 1))

        def show() -> None:
            done = counts.ready + counts.failed + (0 if wait else counts.accepted)
            progress.update(task, completed=done, description=counts.line())

        for path in files:
            outcome = await import_file(user, path, settings=settings, storage=storage, queue=queue)
            outcomes.append(outcome)
            if outcome.status == "failed":
                counts.failed += 1
            elif outcome.status == "duplicate":
                counts.duplicate += 1
                counts.ready += 1  # already in the library
            else:
                counts.accepted += 1
                pending[outcome.book_id] = outcome
            show()
            if wait and len(pending) >= 8:
                await _poll(pending, counts)
        while wait and pending:
            await _poll(pending, counts)
            show()
            if pending:
                await asyncio.sleep(POLL)
        show()
    return outcomes


async def _poll(pending: dict[uuid.UUID, Outcome], counts: Counts) -> None:
    for book_id, (status, error, title) in (await book_statuses(list(pending))).items():
        if status in ("ready", "failed"):
            outcome = pending.pop(book_id)
            outcome.title = title
            outcome.status = "ready" if status == "ready" else "failed"
            outcome.reason = error or ""
            if status == "ready":
                counts.ready += 1
            else:
                counts.failed += 1


def _summary(console: Console, outcomes: list[Outcome]) -> None:
    table = Table(title="Import summary")
    for column in ("File", "Result", "Book", "Reason"):
        table.add_column(column)
    shown = outcomes if len(outcomes) <= 50 else [o for o in outcomes if o.status == "failed"]
    for o in shown:
        style = {"failed": "red", "ready": "green"}.get(o.status, "")
        table.add_row(o.path.name, f"[{style}]{o.status}[/]" if style else o.status, o.title, o.reason)
    console.print(table)
    totals = {
        status: sum(o.status == status for o in outcomes)
        for status in ("ready", "accepted", "duplicate", "failed")
    }
    console.print(
        "totals: " + ", ".join(f"{k} {v}" for k, v in totals.items() if v) + f" (of {len(outcomes)})"
    )
