"""analyze_book through the live service: typed, scored, non-duplicated descriptions whose offsets slice the
chapter text; a character bible; idempotent re-runs; the work runs in the worker's process pool."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from pathlib import Path

import psutil
import websockets
from arq.constants import result_key_prefix
from tests.support import Reader

from bookreader.core.queue import create_queue, enqueue
from bookreader.domain.books.jobs import AnalyzeBook
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions.tables import Character, Description, NlpRun
from bookreader.settings import load_settings

TYPES = {"location", "character", "atmosphere", "object", "action"}
FIELDS = {"id", "chapter", "type", "text", "start", "end", "confidence", "priority", "entities"}


async def ready_book(reader: Reader, path: Path) -> dict:
    created = await reader.upload(path)
    assert created.status_code in (200, 202), created.text
    book = await reader.wait_for_book(created.json()["id"], timeout=120)
    assert book["status"] == "ready", book
    return book


async def check_descriptions(reader: Reader, book_id: str) -> list[dict]:
    descriptions = (await reader.get(f"/api/v1/books/{book_id}/descriptions")).json()
    assert descriptions, "a novel has descriptions"
    assert [(d["chapter"], d["start"]) for d in descriptions] == sorted(
        (d["chapter"], d["start"]) for d in descriptions
    )
    texts: dict[int, str] = {}
    for d in descriptions:
        assert FIELDS <= set(d)
        assert d["type"] in TYPES
        assert 0.0 <= d["confidence"] <= 1.0 and d["priority"] > 0
        if d["chapter"] not in texts:
            texts[d["chapter"]] = (
                await reader.get(f"/api/v1/books/{book_id}/chapters/{d['chapter']}")
            ).json()["text"]
        assert texts[d["chapter"]][d["start"] : d["end"]] == d["text"]
    spans = [(d["chapter"], d["start"], d["end"]) for d in descriptions]
    for (c1, _, e1), (c2, s2, _) in itertools.pairwise(spans):
        assert c1 != c2 or s2 >= e1, "no overlapping descriptions"
    per_chapter: dict[int, set[str]] = {}
    for d in descriptions:
        normalised = " ".join(d["text"].lower().split())
        assert normalised not in per_chapter.setdefault(d["chapter"], set()), "no duplicates"
        per_chapter[d["chapter"]].add(normalised)
    return descriptions


async def test_english_book_gets_descriptions_and_characters(
    reader: Reader, other_reader: Reader, shared_books: Path
) -> None:
    book = await ready_book(reader, shared_books / "epub2/gutenberg-kafka-metamorphosis.epub")
    descriptions = await check_descriptions(reader, book["id"])
    assert len({d["type"] for d in descriptions}) >= 4

    locations = (
        await reader.get(f"/api/v1/books/{book['id']}/descriptions", params={"type": "location"})
    ).json()
    assert locations and {d["type"] for d in locations} == {"location"}
    chapter = descriptions[0]["chapter"]
    listed = (
        await reader.get(f"/api/v1/books/{book['id']}/descriptions", params={"chapter": chapter})
    ).json()
    assert listed == [d for d in descriptions if d["chapter"] == chapter]
    in_chapter = (await reader.get(f"/api/v1/books/{book['id']}/chapters/{chapter}")).json()["descriptions"]
    assert [(d["id"], d["start"], d["end"]) for d in in_chapter] == [
        (d["id"], d["start"], d["end"]) for d in listed
    ]

    characters = (await reader.get(f"/api/v1/books/{book['id']}/characters?reveal=all")).json()
    gregor = next(c for c in characters if c["name"] == "Gregor")
    assert "Gregor Samsa" in gregor["aliases"] and gregor["mention_count"] > 250
    assert gregor["appearance"] and all(q["text"] for q in gregor["appearance"])
    assert any("Gregor" in d["entities"] for d in descriptions)

    for url in (f"/api/v1/books/{book['id']}/descriptions", f"/api/v1/books/{book['id']}/characters"):
        assert (await other_reader.get(url)).status_code == 404
    bad = await reader.get(f"/api/v1/books/{book['id']}/descriptions", params={"type": "smell"})
    assert bad.status_code in (400, 422)


async def test_russian_book_gets_descriptions(reader: Reader, shared_books: Path) -> None:
    book = await ready_book(reader, shared_books / "fb2/fb2cng-_Test-ru.fb2")
    assert book["language"] == "ru"
    descriptions = await check_descriptions(reader, book["id"])
    assert any("волосы" in d["text"] for d in descriptions if d["type"] == "character")


async def test_rerunning_analysis_replaces_rows(
    reader: Reader, shared_books: Path, migrated: dict[str, str], db: None
) -> None:
    book = await ready_book(reader, shared_books / "epub3/epubjs-alice.epub")
    book_id = uuid.UUID(book["id"])

    async def rows() -> tuple[list, list]:
        d = await Description.select(Description.chapter, Description.start, Description.end, Description.type, Description.text).where(Description.book == book_id).order_by(Description.chapter).order_by(Description.start)  # fmt: skip
        c = await Character.select(Character.name, Character.mention_count).where(Character.book == book_id).order_by(Character.name)  # fmt: skip
        return d, c

    before = await rows()
    assert before[0] and before[1]
    first_run = await NlpRun.select(NlpRun.created_at).where(NlpRun.book == book_id).first()
    await Book.update({Book.status: "analyzing"}).where(Book.id == book_id)
    queue = await create_queue(load_settings(migrated))
    try:
        job = AnalyzeBook(book_id=book["id"])
        # the book turns ready before its job returns (pre-generation follows): wait for the job to end
        async with asyncio.timeout(30):
            while True:
                await queue.delete(result_key_prefix + job.job_id())  # ARQ keeps a run's result a while
                if await enqueue(queue, job):
                    break
                await asyncio.sleep(0.2)
    finally:
        await queue.aclose()
    again = await reader.wait_for_book(book["id"], timeout=60)
    assert again["status"] == "ready"
    assert await rows() == before
    assert await NlpRun.count().where(NlpRun.book == book_id) == 1
    second_run = await NlpRun.select(NlpRun.created_at).where(NlpRun.book == book_id).first()
    assert second_run["created_at"] > first_run["created_at"], "the analysis really ran again"


async def test_big_book_is_analysed_in_the_pool_while_the_api_stays_responsive(
    reader: Reader, shared_books: Path, base_url: str, live_service, db: None
) -> None:
    url = base_url.replace("http://", "ws://") + f"/api/v1/ws?token={reader.tokens['access_token']}"
    async with websockets.connect(url) as socket:
        assert json.loads(await socket.recv())["type"] == "hello"
        created = await reader.upload(shared_books / "epub3/idpf-moby-dick.epub")
        book_id = created.json()["id"]
        health: list[float] = []
        events: list[dict] = []

        async def ping() -> None:
            while True:
                started = time.perf_counter()
                assert (await reader.http.get("/health")).status_code == 200
                health.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)

        pinger = asyncio.create_task(ping())
        try:
            async with asyncio.timeout(120):
                while not events or events[-1]["status"] not in ("ready", "failed"):
                    event = json.loads(await socket.recv())
                    if event.get("type") == "book.status" and event["book_id"] == book_id:
                        events.append(event)
        finally:
            pinger.cancel()

    assert events[-1]["status"] == "ready", events[-1]
    analyzing = [e["progress"] for e in events if e["status"] == "analyzing"]
    assert len(analyzing) >= 3 and analyzing == sorted(analyzing) and 0 < analyzing[-1] < 1
    assert health and max(health) < 1.0, f"/health took {max(health):.2f} s during analysis"

    run = await NlpRun.select().where(NlpRun.book == uuid.UUID(book_id)).output(load_json=True).first()
    assert run["language"] == "en" and run["batches"] >= 2 and run["descriptions"] > 500
    assert run["pool_pids"] and run["loop_pid"] not in run["pool_pids"], (
        "NLP ran outside the event-loop process"
    )
    service_tree = {p.pid for p in psutil.Process(live_service.process.pid).children(recursive=True)}
    assert set(run["pool_pids"]) <= service_tree, "the pool processes belong to the service"
    await check_descriptions(reader, book_id)
