"""Every book of ../shared/books that reaches `ready` exports to an EPUB with 0 epubcheck errors (warnings are
allowed and reported), and the export uploaded again opens in our own reader with the same chapters."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.epubcheck import Report, epubcheck, require_epubcheck
from tests.harness import ARTIFACTS
from tests.integration.exports.helpers import figures_in, wait_export
from tests.integration.illustrations.helpers import pregenerated_images
from tests.support import Reader, sign_up

BOOKS_PER_READER = 8  # under the per-user cap of books in the pipeline at once


async def _export_one(
    reader: Reader, path: Path, out: Path, checks: asyncio.Semaphore
) -> tuple[str, str, Report | None]:
    created = await reader.upload(path)
    assert created.status_code in (200, 202), created.text
    book = await reader.wait_for_book(created.json()["id"], timeout=600)
    if book["status"] != "ready":
        return path.name, f"not ready ({book['error']['code']})", None
    found = (await reader.get(f"/api/v1/books/{book['id']}/descriptions")).json()
    if found:  # the placeholder pictures a new book gets: wait for them, so the export is illustrated
        await pregenerated_images(reader, book["id"])
    epub = (await wait_export(reader, book["id"], timeout=600)).content
    target = out / f"{path.name}.export.epub"
    target.write_bytes(epub)
    async with checks:
        report = await asyncio.to_thread(epubcheck, target)
    files = {"file": (target.name, epub, "application/epub+zip")}
    again = await reader.post("/api/v1/books", files=files)
    assert again.status_code == 202, again.text
    copy = await reader.wait_for_book(again.json()["id"], timeout=600)
    assert copy["status"] == "ready", (path.name, copy)
    assert copy["chapter_count"] == book["chapter_count"], (
        path.name,
        book["chapter_count"],
        copy["chapter_count"],
    )
    summary = f"{book['chapter_count']} chapters, {len(figures_in(epub))} captioned figures (ours + the book's own), {len(epub)} bytes"
    return path.name, summary, report


@pytest.mark.slow  # every shared book through epubcheck: ~4 min, `just test` only (not the edit loop)
@pytest.mark.timeout(2400)
async def test_every_ready_shared_book_exports_without_epubcheck_errors(
    shared_books: Path, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    require_epubcheck()
    books = sorted(p for p in shared_books.rglob("*") if p.is_file() and p.suffix in (".epub", ".fb2", ".zip")
                   and "malformed" not in p.parts)  # fmt: skip
    assert books
    checks = asyncio.Semaphore(2)
    results = []
    for start in range(0, len(books), BOOKS_PER_READER):
        reader = await sign_up(client)
        batch = books[start : start + BOOKS_PER_READER]
        results += await asyncio.gather(*(_export_one(reader, path, tmp_path, checks) for path in batch))
    lines = []
    for name, summary, report in results:
        verdict = (
            "skipped" if report is None else f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        )
        lines.append(f"{name}: {summary}: epubcheck {verdict}")
        lines += [f"    {message}" for message in (report.errors + report.warnings if report else [])]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "export-epubcheck.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    checked = [r for r in results if r[2] is not None]
    assert len(checked) >= len(books) // 2, lines  # most shared books are readable
    assert all(not report.errors for _, _, report in checked), "\n".join(lines)
