"""Shared steps of the export tests."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile

import httpx

from tests.support import Reader


def export_url(book_id: str, variant: str | None = None) -> str:
    return f"/api/v1/books/{book_id}/export.epub" + (f"?variant={variant}" if variant else "")


async def wait_export(
    reader: Reader, book_id: str, *, variant: str | None = None, timeout: float = 180
) -> httpx.Response:
    """Ask until the file comes (every answer before it must be the contract's 202)."""
    async with asyncio.timeout(timeout):
        while True:
            response = await reader.get(export_url(book_id, variant))
            if response.status_code == 200:
                return response
            assert response.status_code == 202, response.text
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            assert body["status"] == "building" and 0.0 <= body["progress"] <= 1.0, body
            await asyncio.sleep(0.3)


def figures_in(epub: bytes) -> list[str]:
    """The captions of every picture, in reading order."""
    archive = zipfile.ZipFile(io.BytesIO(epub))
    names = sorted(n for n in archive.namelist() if n.startswith("OEBPS/text/chapter-"))
    captions = []
    for name in names:
        text = archive.read(name).decode()
        for part in text.split("<figcaption>")[1:]:
            captions.append(part.split("</figcaption>", 1)[0])
    return captions


async def export_events(socket, book_id: str, timeout: float = 180) -> list[dict]:
    """`export.status` events for the book until one says ready or failed."""
    events: list[dict] = []
    async with asyncio.timeout(timeout):
        while True:
            event = json.loads(await socket.recv())
            if event.get("type") == "export.status" and event["book_id"] == book_id:
                events.append(event)
                if event["status"] in ("ready", "failed"):
                    return events
