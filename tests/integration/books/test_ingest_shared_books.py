"""Every book in shared/books through the HTTP API: upload → parse (ARQ + process pool) → ready or failed.

One user uploads all files concurrently (module fixture), then each test checks what the API serves:
metadata, chapters with paragraph offsets and front-matter flags, cover + thumbnail, chapter images and
footnote links that resolve inside the book.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.harness import SHARED_BOOKS, LiveService
from tests.support import Reader, sign_up

# file -> the error code it must fail with; every other file must reach `ready`
FAILS = {
    # truncated zip: accepted at upload (it announces itself as an EPUB) but cannot be opened
    "malformed/epubcheck-ocf-zip-unreadable-no-end-header-fatal.epub": "corrupt_archive",
}
BOOK_FILES = sorted(
    str(path.relative_to(SHARED_BOOKS))
    for path in SHARED_BOOKS.glob("*/*")
    if path.is_file() and path.name != "MANIFEST.tsv"
)
pytestmark = pytest.mark.skipif(
    not SHARED_BOOKS.is_dir(),
    reason=f"needs the shared test books at {SHARED_BOOKS} (absent on a lone clone; CI has them)",
)
_LINK = re.compile(r'href="\?chapter=(\d+)#(p-\d+)"')


@pytest.fixture(scope="module")
async def library(base_url: str) -> AsyncIterator[tuple[Reader, dict[str, dict]]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        reader = await sign_up(http)
        uploads = await asyncio.gather(*(reader.upload(SHARED_BOOKS / name) for name in BOOK_FILES))
        assert all(answer.status_code == 202 for answer in uploads), [
            a.text for a in uploads if a.status_code != 202
        ]
        finished = await asyncio.gather(
            *(reader.wait_for_book(answer.json()["id"], timeout=600) for answer in uploads)
        )
        yield reader, dict(zip(BOOK_FILES, finished, strict=True))


@pytest.mark.parametrize("name", BOOK_FILES)
async def test_book_reaches_its_final_state(library, name: str) -> None:
    reader, books = library
    book = books[name]
    if name in FAILS:
        assert book["status"] == "failed" and book["error"]["code"] == FAILS[name], book
        assert (await reader.get(f"/api/v1/books/{book['id']}/chapters")).json() == []
        return
    assert book["status"] == "ready", book
    assert book["title"] and book["chapter_count"] >= 1
    chapters = (await reader.get(f"/api/v1/books/{book['id']}/chapters")).json()
    assert len(chapters) == book["chapter_count"]
    assert [chapter["number"] for chapter in chapters] == list(range(1, len(chapters) + 1))
    first_body = next((c for c in chapters if not c["is_front_matter"]), chapters[0])
    chapter = (await reader.get(f"/api/v1/books/{book['id']}/chapters/{first_body['number']}")).json()
    for index, (start, end) in enumerate(chapter["paragraphs"]):
        assert 0 <= start <= end <= len(chapter["text"])
        assert f'id="p-{index}"' in chapter["html"]


async def test_metadata_reaches_the_book_response(library) -> None:
    _, books = library
    kafka = books["epub2/gutenberg-kafka-metamorphosis.epub"]
    assert (kafka["title"], kafka["authors"], kafka["language"]) == ("Metamorphosis", ["Franz Kafka"], "en")
    assert kafka["year"] == 2005 and "Psychological fiction" in kafka["subjects"]
    grobov = books["fb2/coolreader-grobov-example-war-and-peace.fb2"]
    assert grobov["series"] and grobov["publisher"] and grobov["annotation"]
    assert books["fb2/fbe-script-doc-cp1251.fb2"]["title"].startswith("Скрипт")
    assert books["epub3/idpf-accessible_epub_3.epub"]["identifiers"]["isbn"] == "9781449328030"
    assert books["epub2/wolnelektury-mickiewicz-pisma-filomatyczne-pl.epub"]["language"] == "pl"


async def test_front_matter_is_flagged(library) -> None:
    reader, books = library
    chapters = (
        await reader.get(f"/api/v1/books/{books['epub2/gutenberg-kafka-metamorphosis.epub']['id']}/chapters")
    ).json()
    body = [chapter["title"] for chapter in chapters if not chapter["is_front_matter"]]
    assert body == ["I", "II", "III"]


async def test_cover_and_thumbnail_are_served_to_the_owner_only(library, base_url: str) -> None:
    reader, books = library
    book = books["epub3/epubjs-alice.epub"]
    cover = await reader.get(book["cover_url"])
    assert cover.status_code == 200 and cover.headers["content-type"].startswith("image/")
    assert "max-age" in cover.headers["cache-control"]
    thumb = await reader.get(book["thumbnail_url"])
    assert (
        thumb.status_code == 200
        and thumb.content[:3] == b"\xff\xd8\xff"
        and len(thumb.content) < len(cover.content)
    )
    assert books["epub3/epubjs-alice-without-cover.epub"]["cover_url"] is None
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        stranger = await sign_up(http)
        assert (await stranger.get(book["cover_url"])).status_code == 404


async def test_chapter_images_are_served_at_the_rewritten_urls(library, base_url: str) -> None:
    reader, books = library
    book = books["epub3/epubjs-alice.epub"]
    sources: list[str] = []
    for number in range(1, book["chapter_count"] + 1):
        chapter = (await reader.get(f"/api/v1/books/{book['id']}/chapters/{number}")).json()
        sources += re.findall(r'<img[^>]*src="([^"]+)"', chapter["html"])
    assert len(sources) >= 20
    assert all(src.startswith(f"/api/v1/books/{book['id']}/assets/") for src in sources)
    image = await reader.get(sources[-1])
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
    assert "max-age" in image.headers["cache-control"]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        stranger = await sign_up(http)
        assert (await stranger.get(sources[-1])).status_code == 404


async def test_footnote_links_resolve_to_paragraphs_of_the_book(library) -> None:
    reader, books = library
    book = books["fb2/fb2cng-_Test-ru.fb2"]
    chapter = (await reader.get(f"/api/v1/books/{book['id']}/chapters/2")).json()
    links = _LINK.findall(chapter["html"])
    assert links
    number, anchor = links[0]
    target = (await reader.get(f"/api/v1/books/{book['id']}/chapters/{number}")).json()
    assert f'id="{anchor}"' in target["html"]


async def test_upload_limit_comes_from_settings(limits_api: LiveService) -> None:
    # An API-only service (no worker) with a 200 kB upload limit: a bigger book is refused at upload.
    assert limits_api.env["BOOKREADER_MAX_UPLOAD_BYTES"] == "200000"
    async with httpx.AsyncClient(base_url=limits_api.base_url, timeout=30) as http:
        reader = await sign_up(http)
        big = await reader.upload(SHARED_BOOKS / "epub3/epubjs-alice.epub")  # 536 kB
        assert big.status_code == 413 and big.json()["code"] == "file_too_large"
        small = await reader.upload(SHARED_BOOKS / "epub3/idpf-hefty-water.epub")
        assert small.status_code == 202
