"""Bookmarks and highlights through the live service; highlight text is cut by the server; exports."""

from __future__ import annotations

import json
import uuid

from tests.integration.reading.conftest import chapter
from tests.support import Reader

from bookreader.domain.reading.tables import (
    Bookmark,
    Highlight,
    PositionWrite,
    ReadingPosition,
    ReadingSession,
)


async def test_bookmarks_crud(reader: Reader, alice: dict) -> None:
    book_id, number = alice["id"], alice["chapters"][0]["number"]
    length = len((await chapter(reader, book_id, number))["text"])
    url = f"/api/v1/books/{book_id}/bookmarks"
    named = await reader.post(url, json={"chapter": number, "offset": 5, "title": "  Rabbit hole "})
    assert named.status_code == 201, named.text
    mark = named.json()
    assert {"id", "chapter", "offset", "title", "created_at"} <= mark.keys()
    assert (mark["chapter"], mark["offset"], mark["title"]) == (number, 5, "Rabbit hole")
    untitled = (await reader.post(url, json={"chapter": number, "offset": length + 100})).json()
    assert untitled["offset"] == length and untitled["title"]  # clamped; titled after the chapter
    assert (await reader.post(url, json={"chapter": 999, "offset": 0})).status_code == 422
    assert [b["id"] for b in (await reader.get(url)).json()] == [mark["id"], untitled["id"]]

    renamed = await reader.patch(f"/api/v1/bookmarks/{mark['id']}", json={"title": "Down", "offset": 2})
    assert renamed.status_code == 200 and (renamed.json()["title"], renamed.json()["offset"]) == ("Down", 2)
    assert (await reader.delete(f"/api/v1/bookmarks/{mark['id']}")).status_code == 204
    assert (await reader.delete(f"/api/v1/bookmarks/{mark['id']}")).status_code == 404
    assert [b["id"] for b in (await reader.get(url)).json()] == [untitled["id"]]


async def test_highlight_text_comes_from_the_chapter(reader: Reader, alice: dict) -> None:
    book_id, number = alice["id"], alice["chapters"][0]["number"]
    text = (await chapter(reader, book_id, number))["text"]
    start = next(i for i, ch in enumerate(text) if ch.isalpha())
    end = min(len(text), start + 30)
    url = f"/api/v1/books/{book_id}/highlights"
    created = await reader.post(
        url,
        json={
            "chapter": number,
            "start": start,
            "end": end,
            "text": "FORGED",
            "color": "green",
            "note": "hm",
        },
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert {"id", "chapter", "start", "end", "text", "color", "note", "created_at"} <= item.keys()
    assert item["text"] == text[start:end] != "FORGED"
    assert (item["color"], item["note"]) == ("green", "hm")

    for bad in ({"start": 5, "end": 5}, {"start": 10, "end": 3}, {"start": 0, "end": len(text) + 1}):
        refused = await reader.post(url, json={"chapter": number, **bad})
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_range", bad
    assert (
        await reader.post(url, json={"chapter": number, "start": 0, "end": 4, "color": "plaid"})
    ).status_code == 400
    assert (await reader.post(url, json={"chapter": 999, "start": 0, "end": 4})).status_code == 422

    moved = await reader.patch(f"/api/v1/highlights/{item['id']}", json={"start": start + 2, "color": "blue"})
    assert moved.status_code == 200
    assert (moved.json()["text"], moved.json()["color"], moved.json()["note"]) == (
        text[start + 2 : end],
        "blue",
        "hm",
    )
    cleared = await reader.patch(f"/api/v1/highlights/{item['id']}", json={"note": None})
    assert cleared.json()["note"] is None
    assert (
        await reader.patch(f"/api/v1/highlights/{item['id']}", json={"end": len(text) + 9})
    ).status_code == 422
    assert len((await reader.get(url)).json()) == 1
    assert (await reader.delete(f"/api/v1/highlights/{item['id']}")).status_code == 204
    assert (await reader.get(url)).json() == []


async def test_export_markdown_and_json(reader: Reader, alice: dict) -> None:
    book_id = alice["id"]
    book = (await reader.get(f"/api/v1/books/{book_id}")).json()
    quotes = []
    for info in alice["chapters"][:2]:
        text = (await chapter(reader, book_id, info["number"]))["text"]
        start = next(i for i, ch in enumerate(text) if ch.isalpha())
        body = {
            "chapter": info["number"],
            "start": start,
            "end": min(len(text), start + 25),
            "note": f"n{info['number']}",
        }
        created = await reader.post(f"/api/v1/books/{book_id}/highlights", json=body)
        quotes.append(created.json())

    md = await reader.get(f"/api/v1/books/{book_id}/highlights/export", params={"format": "markdown"})
    assert md.status_code == 200
    assert md.headers["content-type"].startswith("text/markdown")
    disposition = md.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".md" in disposition
    lines = md.text.splitlines()
    assert lines[0] == "---" and f"title: {json.dumps(book['title'])}" in lines
    assert f"# {book['title']}" in lines
    for quote, info in zip(quotes, alice["chapters"], strict=False):
        assert f"## {' '.join(info['title'].split())}" in lines or f"## Chapter {info['number']}" in lines
        quoted = [f"> {' '.join(part.split())}".rstrip() for part in quote["text"].strip().splitlines()]
        at = lines.index(quoted[0])
        assert lines[at : at + len(quoted)] == quoted  # the quote as one blockquote, line by line
        assert f"**Note:** {quote['note']}" in lines

    exported = await reader.get(f"/api/v1/books/{book_id}/highlights/export", params={"format": "json"})
    assert exported.headers["content-type"].startswith("application/json")
    assert ".json" in exported.headers["content-disposition"]
    document = exported.json()
    assert document["book"]["title"] == book["title"] and document["highlight_count"] == len(quotes)
    flat = [h for c in document["chapters"] for h in c["highlights"]]
    assert [h["text"] for h in flat] == [q["text"] for q in quotes]
    assert (
        await reader.get(f"/api/v1/books/{book_id}/highlights/export", params={"format": "pdf"})
    ).status_code == 400


async def test_deleting_the_book_removes_its_reading_rows(reader: Reader, alice: dict, db) -> None:
    book_id = alice["id"]
    await reader.put(f"/api/v1/books/{book_id}/progress", json={"chapter": 1, "offset": 0, "percentage": 0})
    await reader.post(f"/api/v1/books/{book_id}/bookmarks", json={"chapter": 1})
    await reader.post(f"/api/v1/books/{book_id}/highlights", json={"chapter": 1, "start": 0, "end": 3})
    await reader.post("/api/v1/reading-sessions", json={"book_id": book_id})
    tables = (ReadingPosition, PositionWrite, Bookmark, Highlight, ReadingSession)
    assert all([await table.count().where(table.book == uuid.UUID(book_id)) == 1 for table in tables])
    assert (await reader.delete(f"/api/v1/books/{book_id}")).status_code == 204
    for table in tables:
        assert await table.count().where(table.book == uuid.UUID(book_id)) == 0, table
