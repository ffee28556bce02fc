"""The illustrated EPUB export against the live service: 202 while building (one build however often asked),
200 with a file that passes epubcheck and reads back in our own reader, progress on the WebSocket, KOReader
ids recorded, the OPDS acquisition link, a rebuild when the pictures change, and nothing left after delete."""

from __future__ import annotations

import asyncio
import io
import json
import re
import uuid
import zipfile
from pathlib import Path

import httpx
import websockets

from bookreader.domain.exports.tables import BookExport
from bookreader.domain.kosync.digest import partial_md5
from bookreader.domain.kosync.tables import BookDigest
from tests.books import novel_epub
from tests.epubcheck import epubcheck
from tests.integration.exports.helpers import export_events, export_url, figures_in, wait_export
from tests.integration.illustrations.helpers import pregenerated_images, ready_book, wait_image
from tests.support import Reader
from tests.unit.ingest.builders import make_epub, xhtml


def ws_url(base_url: str, token: str) -> str:
    return base_url.replace("http://", "ws://") + f"/api/v1/ws?token={token}"


async def builds_of(book_id: str) -> list[dict]:
    return await BookExport.select(BookExport.builds, BookExport.status, BookExport.file_name).where(
        BookExport.book == uuid.UUID(book_id)
    )


async def test_export_builds_once_serves_current_and_rebuilds_when_pictures_change(
    base_url: str, client: httpx.AsyncClient, reader: Reader, db, migrated: dict[str, str],
    generated_books: dict[str, Path], tmp_path: Path,
) -> None:  # fmt: skip
    book = await ready_book(reader, generated_books["novel"])
    book_id = book["id"]
    images = await pregenerated_images(reader, book_id)
    ready = [image for image in images if image["status"] == "ready"]
    assert ready, images

    async with websockets.connect(ws_url(base_url, reader.tokens["access_token"])) as socket:
        assert json.loads(await socket.recv())["type"] == "hello"
        answers = await asyncio.gather(*(reader.get(export_url(book_id)) for _ in range(6)))
        assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
        assert all(a.json()["status"] == "building" for a in answers)
        events = await export_events(socket, book_id)
    assert events[-1]["status"] == "ready", events
    assert events[-1]["url"] == export_url(book_id)
    assert [e["progress"] for e in events] == sorted(e["progress"] for e in events)

    response = await wait_export(reader, book_id)
    assert response.headers["content-type"] == "application/epub+zip"
    assert "illustrated" in response.headers["content-disposition"]
    epub = response.content
    rows = await builds_of(book_id)
    assert [(r["builds"], r["status"]) for r in rows] == [(1, "ready")]  # six requests, one build

    captions = figures_in(epub)
    assert len(captions) == len({image["description_id"] for image in ready})
    passages = {
        d["id"]: d["text"] for d in (await reader.get(f"/api/v1/books/{book_id}/descriptions")).json()
    }
    assert all(any(" ".join(passages[i["description_id"]].split()) in c for c in captions) for i in ready)

    path = tmp_path / "export.epub"
    path.write_bytes(epub)
    report = epubcheck(path)
    assert report.errors == [], str(report)

    # KOReader finds the exported copy by its partial MD5
    digests = await BookDigest.select(BookDigest.digest).where(BookDigest.book == uuid.UUID(book_id))
    assert partial_md5(epub) in {row["digest"] for row in digests}

    # the same file again: 200 without a new build
    again = await reader.get(export_url(book_id))
    assert again.status_code == 200 and again.content == epub

    # OPDS: the acquisition link appears and serves the same file
    password = (await reader.post("/api/v1/device-passwords", json={"name": "e-reader"})).json()["password"]
    async with httpx.AsyncClient(base_url=base_url, auth=(reader.email, password), timeout=30) as device:
        feed = await device.get("/opds/v2/recent")
        assert f"/opds/books/{book_id}/export.epub" in feed.text
        served = await device.get(f"/opds/books/{book_id}/export.epub")
        assert served.status_code == 200 and served.content == epub

    # uploaded again, the export opens in our own reader with the same chapters
    reimported = await reader.http.post(
        "/api/v1/books", headers=reader.headers,
        files={"file": ("export.epub", epub, "application/epub+zip")},
    )  # fmt: skip
    assert reimported.status_code == 202, reimported.text
    copy = await reader.wait_for_book(reimported.json()["id"], timeout=150)
    assert copy["status"] == "ready" and copy["chapter_count"] == book["chapter_count"]
    first = (await reader.get(f"/api/v1/books/{book_id}/chapters/1")).json()
    copied = (await reader.get(f"/api/v1/books/{copy['id']}/chapters/1")).json()
    assert first["text"][:200] in copied["text"]

    # a new picture changes the fingerprint: 202 again, then a file with one more figure
    described = {image["description_id"] for image in images}
    fresh = next(d for d in passages if d not in described)
    requested = await reader.post(f"/api/v1/descriptions/{fresh}/image")
    assert requested.status_code in (200, 202), requested.text
    assert (await wait_image(reader, requested.json()["id"]))["status"] == "ready"
    assert (await reader.get(export_url(book_id))).status_code == 202
    rebuilt = (await wait_export(reader, book_id)).content
    assert len(figures_in(rebuilt)) == len(captions) + 1
    # KOReader matches a copy by its bytes: the copy downloaded before the rebuild still finds the book
    digests = await BookDigest.select(BookDigest.digest).where(BookDigest.book == uuid.UUID(book_id))
    assert {partial_md5(epub), partial_md5(rebuilt)} <= {row["digest"] for row in digests}
    assert partial_md5(epub) != partial_md5(rebuilt)
    exports_dir = Path(migrated["BOOKREADER_DATA_DIR"]) / "files" / "books" / book_id / "exports"
    assert len(list(exports_dir.glob("plain-*.epub"))) == 1  # the older build is gone

    # deleting the book removes its exports
    assert (await reader.delete(f"/api/v1/books/{book_id}")).status_code == 204
    assert not exports_dir.exists()
    assert await builds_of(book_id) == []


async def test_export_needs_a_ready_book_of_ones_own(
    reader: Reader, other_reader: Reader, generated_books: dict[str, Path]
) -> None:
    book = await ready_book(reader, generated_books["tiny"])
    theirs = await other_reader.get(export_url(book["id"]))
    assert theirs.status_code == 404 and theirs.json()["code"] == "book_not_found"
    bad = await reader.get(export_url(book["id"], "everything"))
    assert bad.status_code in (400, 422) and "code" in bad.json(), bad.text
    files = {"file": ("busy.epub", novel_epub(chapters=40, title="Still analysing"), "application/epub+zip")}
    created = (await reader.post("/api/v1/books", files=files)).json()
    early = await reader.get(export_url(created["id"]))
    if early.status_code == 409:  # still in the pipeline (it usually is)
        assert early.json()["code"] == "book_not_ready"
    else:
        assert early.status_code in (200, 202)


def cast_book() -> bytes:
    """Marta is met in chapter 1, Viktor only in chapter 3 (each named mid-sentence, with looks)."""
    marta = "Everyone agreed that Marta had long golden hair tied with a blue ribbon and rosy cheeks."
    viktor = "They all said that Viktor was a tall, thin man with pale blue eyes and a long grey coat."
    filler = "The rain drummed on the roof all night, and the smell of wet earth drifted in."
    people = {1: marta, 2: filler, 3: viktor}
    documents, toc = {}, []
    for number in (1, 2, 3):
        body = f"<h1>Chapter {number}</h1>" + "".join(f"<p>{people[number]} {filler}</p>" for _ in range(5))
        documents[f"c{number}.xhtml"] = xhtml(body, title=f"Chapter {number}")
        toc.append((f"Chapter {number}", f"c{number}.xhtml"))
    return make_epub(documents, title="Marta and Viktor", toc=toc)


async def test_cast_appendix_holds_only_characters_met_so_far(reader: Reader, tmp_path: Path) -> None:
    path = tmp_path / "cast.epub"
    path.write_bytes(cast_book())
    book = await ready_book(reader, path)
    names = {
        c["name"]: c for c in (await reader.get(f"/api/v1/books/{book['id']}/characters?reveal=all")).json()
    }
    assert (
        names.get("Marta", {}).get("first_chapter") == 1 and names.get("Viktor", {}).get("first_chapter") == 3
    )
    unread = (await wait_export(reader, book["id"], variant="cast")).content
    assert "OEBPS/text/cast.xhtml" not in zipfile.ZipFile(io.BytesIO(unread)).namelist()  # nothing read yet

    progress = {"chapter": 2, "offset": 5, "percentage": 0.5}
    assert (await reader.put(f"/api/v1/books/{book['id']}/progress", json=progress)).status_code == 200
    epub = (await wait_export(reader, book["id"], variant="cast")).content
    page = zipfile.ZipFile(io.BytesIO(epub)).read("OEBPS/text/cast.xhtml").decode()
    assert "<h2>Marta</h2>" in page and "golden hair" in page
    assert "Viktor" not in page and "grey coat" not in page  # met in chapter 3: not yet
    path.write_bytes(epub)
    assert epubcheck(path).errors == []
    plain = await reader.get(export_url(book["id"]))  # the plain variant has no appendix, whatever was read
    assert plain.status_code in (200, 202)

    # Marta's portrait, as the cast panel shows it (the pinned version, else the newest), is in the appendix
    marta = names["Marta"]["id"]
    base = f"/api/v1/books/{book['id']}/characters/{marta}/portrait"
    first = await wait_image(reader, (await reader.post(base)).json()["id"])
    second = await wait_image(reader, (await reader.post(f"{base}/regenerate")).json()["id"])
    assert first["status"] == second["status"] == "ready" and first["url"] != second["url"]
    files = {v: (await reader.get(i["url"])).content for v, i in (("first", first), ("second", second))}

    def portrait_in(epub: bytes) -> bytes:
        archive = zipfile.ZipFile(io.BytesIO(epub))
        page = archive.read("OEBPS/text/cast.xhtml").decode()
        found = re.search(r'<img src="\.\./(pictures/[^"]+)" alt="Portrait of Marta"/>', page)
        assert found, page
        return archive.read(f"OEBPS/{found.group(1)}")

    assert portrait_in((await wait_export(reader, book["id"], variant="cast")).content) == files["second"]
    assert (await reader.post(f"{base}/pin", json={"image_id": first["id"]})).status_code == 200
    epub = (await wait_export(reader, book["id"], variant="cast")).content
    assert portrait_in(epub) == files["first"], "the pinned version, rebuilt when pinned"
    path.write_bytes(epub)
    assert epubcheck(path).errors == []
