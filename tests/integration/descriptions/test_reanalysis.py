"""Re-analysis (issue 11 point 6): a book analysed by an older model is analysed again through the admin API
while it stays readable; passages that survive keep their rows — and the pictures made for them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from tests.integration.admin.test_admin_api import admin_reader
from tests.support import Reader

from bookreader import nlp
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions.tables import Description, NlpRun
from bookreader.domain.illustrations.tables import Image

OLD = "en-0123456789ab"  # a version from before generations: generation 0


async def picture_for(reader: Reader, book_id: uuid.UUID, description: dict) -> uuid.UUID:
    me = (await reader.get("/api/v1/users/me")).json()
    image = Image(
        owner=uuid.UUID(me["id"]), book=book_id, description=description["id"], chapter=description["chapter"],
        status="ready", kind=description["type"], prompt="a picture", style="watercolor", provider="placeholder",
        width=64, height=64, prompt_hash=uuid.uuid4().hex,
    )  # fmt: skip
    await image.save()
    return image.id


async def run_of(book_id: uuid.UUID) -> dict:
    return await NlpRun.select().where(NlpRun.book == book_id).output(load_json=True).first()


async def wait_for_run(book_id: uuid.UUID, after) -> dict:
    async with asyncio.timeout(90):
        while True:
            run = await run_of(book_id)
            if run and run["created_at"] > after:
                return run
            await asyncio.sleep(0.1)


async def rows(book_id: uuid.UUID) -> list[dict]:
    return (
        await Description.select(Description.id, Description.chapter, Description.start, Description.end)
        .where(Description.book == book_id)
        .order_by(Description.chapter)
        .order_by(Description.start)
    )


async def test_reanalysis_keeps_surviving_passages_and_their_pictures(
    client: httpx.AsyncClient,
    reader: Reader,
    admin_account: tuple[str, str],
    generated_books: dict[str, Path],
    db: None,
) -> None:
    admin = await admin_reader(client, admin_account)
    created = await reader.upload(generated_books["novel"])
    book = await reader.wait_for_book(created.json()["id"], timeout=120)
    assert book["status"] == "ready", book
    book_id = uuid.UUID(book["id"])
    current = nlp.model_version("en")
    first = await run_of(book_id)
    assert first["model_version"] == current, "the analysis records its model version"

    descriptions = (await reader.get(f"/api/v1/books/{book_id}/descriptions")).json()
    assert len(descriptions) >= 3
    kept_picture = await picture_for(reader, book_id, descriptions[0])
    # a passage the new model will not find again (as if an older model had chosen it)
    stale = Description(
        book=book_id, chapter=descriptions[0]["chapter"], type="object", text="A passage of the old model.",
        start=0, end=27, confidence=0.5, priority=0.5,
    )  # fmt: skip
    await stale.save()
    stale_picture = await picture_for(
        reader, book_id, {"id": stale.id, "chapter": stale.chapter, "type": "object"}
    )
    await NlpRun.update({NlpRun.model_version: OLD}).where(NlpRun.book == book_id)

    refused = await reader.post("/api/v1/admin/reanalyze")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    bad = await admin.post("/api/v1/admin/reanalyze", params={"older_than": "'; drop table books"})
    assert bad.status_code == 400, bad.text

    generation = nlp.version_generation(current)
    older = await admin.post("/api/v1/admin/reanalyze", params={"older_than": "0"})
    assert older.status_code == 202 and older.json()["books"] == 0, "nothing is older than generation 0"
    queued = await admin.post("/api/v1/admin/reanalyze")  # every book not analysed by the shipped model
    assert queued.status_code == 202, queued.text
    assert str(book_id) in queued.json()["book_ids"] and queued.json()["model_version"] == current
    run = await wait_for_run(book_id, first["created_at"])
    assert run["model_version"] == current
    assert (await Book.select(Book.status).where(Book.id == book_id).first())["status"] == "ready"

    after = await rows(book_id)
    assert [(r["id"], r["start"], r["end"]) for r in after] == [
        (uuid.UUID(d["id"]), d["start"], d["end"]) for d in descriptions
    ], "every passage the model still finds keeps its row id"
    image = await Image.select(Image.description).where(Image.id == kept_picture).first()
    assert image is not None and str(image["description"]) == descriptions[0]["id"]
    assert await Image.count().where(Image.id == stale_picture) == 0, "a dropped passage takes its picture"
    assert await Description.count().where(Description.id == stale.id) == 0

    # nothing is stale any more; asking for the one book again is idempotent
    again = await admin.post("/api/v1/admin/reanalyze")
    assert str(book_id) not in again.json()["book_ids"]
    one = await admin.post(f"/api/v1/admin/books/{book_id}/reanalyze")
    assert one.status_code == 202 and one.json()["books"] == 1
    await wait_for_run(book_id, run["created_at"])
    assert await rows(book_id) == after
    assert await Image.count().where(Image.id == kept_picture) == 1

    newer = await admin.post("/api/v1/admin/reanalyze", params={"older_than": str(generation + 1)})
    assert str(book_id) in newer.json()["book_ids"], "a generation ahead makes every book older"

    missing = await admin.post(f"/api/v1/admin/books/{uuid.uuid4()}/reanalyze")
    assert missing.status_code == 404 and missing.json()["code"]


def test_reanalyze_command_queues_from_the_shell(migrated: dict[str, str]) -> None:
    """`just reanalyze` runs `bookreader reanalyze`: the same selection as the admin API, from the shell."""
    done = subprocess.run(
        [sys.executable, "-m", "bookreader", "reanalyze", "--older-than", "0"],
        env={**os.environ, **migrated},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "re-analysis: 0 books selected, 0 queued" in done.stderr
    unknown = subprocess.run(
        [sys.executable, "-m", "bookreader", "reanalyze", "--book", str(uuid.uuid4())],
        env={**os.environ, **migrated},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unknown.returncode == 1 and "bookreader reanalyze: No such book." in unknown.stderr
