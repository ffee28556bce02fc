"""The pipeline's writers that run in the process pool (issue 17: the parsed book and the analysis never
cross back to the event loop the API shares): each is idempotent — a re-run replaces the rows — and a
failure midway leaves the rows as they were, never half a book. Real Postgres, the writers' own
connections; the stage around them ends a book whose pool-side write failed `failed` with a reason."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import pytest
from redis.asyncio import Redis
from tests.books import novel_fb2
from tests.harness import _with_database

from bookreader.core import autogroup, cpugroup
from bookreader.core.db import connect_at_our_priority
from bookreader.core.procpool import create_process_pool
from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.cpu import write_parsed
from bookreader.domain.books.jobs import ParseBook, parse_book
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.descriptions import store
from bookreader.domain.descriptions.tables import Character, Description, NlpRun
from bookreader.domain.search.tables import SearchPassage
from bookreader.ingest import ParsedBook, ParsedChapter
from bookreader.nlp import BookAnalysis, FoundCharacter, FoundDescription, Mention
from bookreader.settings import load_settings

T = TypeVar("T")


async def new_book(status: str = "parsing") -> Book:
    user = User(email=f"writers-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
    await user.save()
    book = Book(owner=user.id, format="fb2", content_hash=uuid.uuid4().hex, status=status, title="Untitled")
    await book.save()
    return book


def parsed_book(chapters: int, *, tag: str, broken: int = 0) -> ParsedBook:
    """A parsed book of `chapters` chapters of two paragraphs; chapter `broken` carries a NUL (Postgres
    refuses it in text: the write fails there, after the chapters before it went into the COPY)."""
    items = []
    for number in range(1, chapters + 1):
        text = f"Chapter {number} of {tag}.\nThe sea was grey and the house stood on the cliff."
        if number == broken:
            text += "\x00"
        first = text.index("\n")
        items.append(ParsedChapter(number=number, title=f"{tag} {number}", level=1, html=f"<p>{text}</p>",
                                   text=text, paragraphs=[(0, first), (first + 1, len(text))], word_count=12))  # fmt: skip
    return ParsedBook(format="fb2", title=f"Book {tag}", authors=["A. Writer"], language="en", chapters=items)


async def chapters_of(book_id: uuid.UUID) -> list[tuple[int, str]]:
    rows = (
        await Chapter.select(Chapter.number, Chapter.title)
        .where(Chapter.book == book_id)
        .order_by(Chapter.number)
    )
    return [(row["number"], row["title"]) for row in rows]


async def test_the_parse_writer_replaces_a_book_and_a_failure_midway_keeps_the_last_one(
    migrated: dict[str, str], db: None
) -> None:
    book = await new_book()
    dsn = migrated["DATABASE_URL"]
    summary = await asyncio.to_thread(write_parsed, dsn, book.id, parsed_book(5, tag="first"), book.title)
    assert (summary.chapters, summary.words, summary.has_cover) == (5, 60, False)
    again = await asyncio.to_thread(write_parsed, dsn, book.id, parsed_book(4, tag="second"), book.title)
    assert again.chapters == 4
    assert await chapters_of(book.id) == [(n, f"second {n}") for n in range(1, 5)], "replaced, not added"
    passages = await SearchPassage.count().where(SearchPassage.book == book.id)
    assert passages == 8, "two passages per chapter, the second run's only"
    row = await Book.select(Book.title, Book.chapter_count).where(Book.id == book.id).first()
    assert row == {"title": "Book second", "chapter_count": 4}

    with pytest.raises(Exception, match=r"0x00|NUL|null character"):
        await asyncio.to_thread(write_parsed, dsn, book.id, parsed_book(6, tag="third", broken=4), book.title)
    assert await chapters_of(book.id) == [(n, f"second {n}") for n in range(1, 5)], "no half-written book"
    assert await SearchPassage.count().where(SearchPassage.book == book.id) == 8
    row = await Book.select(Book.title, Book.chapter_count).where(Book.id == book.id).first()
    assert row == {"title": "Book second", "chapter_count": 4}


def analysis(tag: str, *, broken: bool = False) -> BookAnalysis:
    descriptions = [
        FoundDescription(chapter=c, type="location", start=10 * i, end=10 * i + 8, text=f"{tag} place {c}.{i}",
                         confidence=0.8, priority=1.0 + i, entities=["Ahab"])
        for c in (1, 2) for i in range(3)
    ]  # fmt: skip
    if broken:
        descriptions[4].text += "\x00"
    ahab = FoundCharacter(name="Ahab", aliases=["Ahab", "Captain Ahab"], mention_count=3, first_chapter=1,
                          mentions=[Mention("Ahab", 1, 0), Mention("Ahab", 2, 5), Mention("Captain Ahab", 2, 40)])  # fmt: skip
    return BookAnalysis("en", descriptions, [ahab], model_version=f"test-{tag}")


def run_info() -> store.RunInfo:
    return store.RunInfo(loop_pid=os.getpid(), pool_pids=[1], batches=1, chapters=2, started=time.time())


async def rows_of(book_id: uuid.UUID) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    descriptions = await Description.select(Description.id, Description.text).where(Description.book == book_id).order_by(Description.chapter).order_by(Description.start)  # fmt: skip
    characters = await Character.select(Character.id, Character.name).where(Character.book == book_id)
    run = await NlpRun.select(NlpRun.model_version).where(NlpRun.book == book_id).first()
    return descriptions, characters, run["model_version"] if run else ""


async def test_the_analysis_writer_is_idempotent_and_all_or_nothing(
    migrated: dict[str, str], db: None
) -> None:
    book = await new_book("analyzing")
    dsn, book_id = migrated["DATABASE_URL"], str(book.id)
    first = await asyncio.to_thread(
        store.store, dsn, book_id, store.encode_analysis(analysis("a")), run_info()
    )
    assert (first.kept, first.added, first.dropped, first.descriptions, first.characters) == (0, 6, 0, 6, 1)
    before = await rows_of(book.id)
    assert len(before[0]) == 6 and before[2] == "test-a"
    again = await asyncio.to_thread(
        store.store, dsn, book_id, store.encode_analysis(analysis("a")), run_info()
    )
    assert (again.kept, again.added, again.dropped) == (6, 0, 0)
    assert await rows_of(book.id) == before, "a re-run keeps the rows (and so their pictures)"
    assert await NlpRun.count().where(NlpRun.book == book.id) == 1

    broken = store.encode_analysis(analysis("b", broken=True))
    with pytest.raises(Exception, match=r"0x00|NUL|null character"):
        await asyncio.to_thread(store.store, dsn, book_id, broken, run_info())
    assert await rows_of(book.id) == before, "a failed write leaves the last analysis whole"


async def test_a_book_whose_pool_side_write_fails_ends_failed_with_a_reason(
    migrated: dict[str, str], db: None, tmp_path: Path
) -> None:
    book = await new_book("queued")
    storage = Storage(tmp_path)
    storage.write(storage.original_path(book.id), novel_fb2(chapters=3))
    # the pool's writer gets a database that does not exist: its connection fails after the parse
    absent = _with_database(migrated["DATABASE_URL"], f"absent_{uuid.uuid4().hex[:8]}")
    settings = load_settings({**migrated, "DATABASE_URL": absent})
    redis = Redis.from_url(migrated["REDIS_URL"])
    pool = create_process_pool(1)
    ctx = {"settings": settings, "storage": storage, "redis": redis, "process_pool": pool, "job_try": 1}
    try:
        outcome = await parse_book(ctx, msgspec.to_builtins(ParseBook(book_id=str(book.id))))
    finally:
        pool.shutdown(wait=True)
        await redis.aclose()
    assert outcome == "failed: internal_error"
    row = (
        await Book.select(Book.status, Book.error_code, Book.error_message).where(Book.id == book.id).first()
    )
    assert row["status"] == "failed" and row["error_code"] == "internal_error"
    assert "InvalidCatalogName" in row["error_message"], row
    assert await chapters_of(book.id) == []


def _backend_priority(dsn: str) -> tuple[int, int | None, int | None]:
    """In a pool child: (this process' niceness, that of the Postgres backend of a writer's connection, that
    of the backend's session group: Linux autogroup, None where there is none)."""

    async def probe() -> tuple[int | None, int | None]:
        connection = await connect_at_our_priority(dsn)
        try:
            pid = connection.get_server_pid()
            if not Path(f"/proc/{pid}").is_dir():
                return None, None  # a server on another machine: nothing to renice
            return os.getpriority(os.PRIO_PROCESS, pid), autogroup.nice_of(pid)
        finally:
            await connection.close()

    return os.getpriority(os.PRIO_PROCESS, 0), *asyncio.run(probe())


def _backend_of_a_niced_pool_process(dsn: str) -> tuple[int, int | None, int | None]:
    pool = create_process_pool(1, nice=7)
    try:
        return pool.submit(_backend_priority, dsn).result(timeout=120)
    finally:
        pool.shutdown(wait=True)


def test_a_niced_pool_process_writes_through_a_backend_at_its_own_priority(migrated: dict[str, str]) -> None:
    ours, backend, _ = _backend_of_a_niced_pool_process(migrated["DATABASE_URL"])
    if backend is None:
        pytest.skip("Postgres runs on another machine")
    assert ours >= 7 and backend == ours, "the bulk writes run at the pool's priority, not at Postgres' own"


def test_that_backends_session_group_is_niced_as_much(migrated: dict[str, str]) -> None:
    """A backend is a session of its own: under Linux autogroup its nice alone weighs nothing against the
    API's session or the readers' backends; its group must get the nice too."""
    if not autogroup.enabled():
        pytest.skip("Linux autogroup is off (or not Linux): /proc/sys/kernel/sched_autogroup_enabled")
    if os.geteuid() != 0:
        pytest.skip("another user's backend's autogroup is writable (and not rate-limited) only by root")
    ours, backend, group = _backend_of_a_niced_pool_process(migrated["DATABASE_URL"])
    if backend is None:
        pytest.skip("Postgres runs on another machine")
    assert group is not None and group >= ours >= 7, "the backend's session group yields as its nice does"


def _cgroup_of(pid: int | str) -> str:
    return str(cpugroup.current(pid))


def _cpus_of(pid: int | str) -> frozenset[int]:
    return frozenset(os.sched_getaffinity(0 if pid == "self" else int(pid)))


def _self_and_backend(dsn: str, read: Callable[[int | str], T]) -> tuple[T, T | None]:
    """In a pool child: (`read` of itself, of the Postgres backend of a writer's connection — None where
    that backend is on another machine)."""

    async def probe() -> T | None:
        connection = await connect_at_our_priority(dsn)
        try:
            pid = connection.get_server_pid()
            return read(pid) if Path(f"/proc/{pid}").is_dir() else None
        finally:
            await connection.close()

    return read("self"), asyncio.run(probe())


def _in_a_niced_pool_child(dsn: str, read: Callable[[int | str], T], **options: Any) -> tuple[T, T]:
    pool = create_process_pool(1, nice=7, **options)
    try:
        ours, backend = pool.submit(_self_and_backend, dsn, read).result(timeout=120)
    finally:
        pool.shutdown(wait=True)
    if backend is None:
        pytest.skip("Postgres runs on another machine")
    return ours, backend


def test_an_idle_pool_process_writes_through_a_backend_in_its_idle_cgroup(migrated: dict[str, str]) -> None:
    """The bulk writes of a book must yield to readers as the parsing does: preempted at once, not niced."""
    group = cpugroup.idle_group()
    if group is None:
        pytest.skip("no idle cpu cgroup can be made here (cgroupfs read-only, or a kernel without cpu.idle)")
    ours, backend = _in_a_niced_pool_child(migrated["DATABASE_URL"], _cgroup_of, idle_group=True)
    assert ours == backend == str(group)


def test_a_pinned_pool_process_writes_through_a_backend_on_its_cpus(
    migrated: dict[str, str], cpus: frozenset[int]
) -> None:
    """`serve` keeps the pool off the API's core; its bulk writes in Postgres must stay off it as well."""
    last = frozenset({max(cpus)})
    ours, backend = _in_a_niced_pool_child(migrated["DATABASE_URL"], _cpus_of, cpus=last)
    assert ours == backend == last
