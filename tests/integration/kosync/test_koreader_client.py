"""A scripted KOReader: exactly what kosync.koplugin sends (KOSyncClient.lua + api.json) against /kosync.

Headers: `accept: application/vnd.koreader.v1+json`, `x-auth-user`, `x-auth-key` (md5 of the password),
JSON bodies; the document id is the partial MD5 of the file (or md5 of its name); percentage is 0..1.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bookreader.domain.kosync.digest import partial_md5
from tests.support import Reader, sign_up
from tests.unit.kosync.resolver import SourceResolver, epub_paragraphs, visible_text


class KOReader:
    def __init__(self, http: httpx.AsyncClient, username: str, password: str, model: str = "Kobo_io") -> None:
        self.http, self.username, self.userkey = http, username, hashlib.md5(password.encode()).hexdigest()
        self.device, self.device_id = model, uuid.uuid4().hex.upper()

    def _headers(self, auth: bool = True) -> dict[str, str]:
        headers = {"accept": "application/vnd.koreader.v1+json"}
        if auth:
            headers |= {"x-auth-user": self.username, "x-auth-key": self.userkey}
        return headers

    async def register(self) -> httpx.Response:
        body = {"username": self.username, "password": self.userkey}
        return await self.http.post("/kosync/users/create", json=body, headers=self._headers(auth=False))

    async def authorize(self) -> httpx.Response:
        return await self.http.get("/kosync/users/auth", headers=self._headers())

    async def update_progress(self, document: str, progress: str, percentage: float) -> httpx.Response:
        body = {
            "document": document, "progress": progress, "percentage": percentage,
            "device": self.device, "device_id": self.device_id,
        }  # fmt: skip
        return await self.http.put("/kosync/syncs/progress", json=body, headers=self._headers())

    async def get_progress(self, document: str) -> httpx.Response:
        return await self.http.get(f"/kosync/syncs/progress/{document}", headers=self._headers())


async def _device(reader: Reader, name: str = "Kobo") -> str:
    created = await reader.post("/api/v1/device-passwords", json={"name": name})
    assert created.status_code == 201, created.text
    return created.json()["password"]


async def _ready_chapters(reader: Reader, path: Path) -> dict:
    created = await reader.upload(path)
    assert created.status_code in (200, 202), created.text
    book = await reader.wait_for_book(created.json()["id"], statuses=("analyzing", "ready", "failed"))
    assert book["status"] != "failed", book
    return book


async def _paragraph_text(reader: Reader, book_id: str, chapter: int, offset: int) -> str:
    data = (await reader.get(f"/api/v1/books/{book_id}/chapters/{chapter}")).json()
    start, end = next((s, e) for s, e in reversed(data["paragraphs"]) if s <= offset)
    return "".join(data["text"][start:end].split())


async def test_auth_and_protocol_errors(client: httpx.AsyncClient) -> None:
    reader = await sign_up(client)
    password = await _device(reader)
    async with httpx.AsyncClient(base_url=client.base_url) as http:  # a device: no browser cookie
        koreader = KOReader(http, reader.email.upper(), password)
        ok = await koreader.authorize()
        assert ok.status_code == 200 and ok.json() == {"authorized": "OK"}
        assert ok.headers["content-type"] == "application/json"

        for wrong in (KOReader(http, reader.email, "not-it"), KOReader(http, "nobody@example.com", password)):
            denied = await wrong.authorize()
            assert denied.status_code == 401 and denied.json()["code"] == 2001
            assert denied.headers["content-type"] == "application/json"
        account_password = KOReader(http, reader.email, reader.password)  # the account password is not a key
        assert (await account_password.authorize()).status_code == 401

        assert (await koreader.get_progress("0" * 32)).json() == {}  # unknown document: 200 {}
        missing = await koreader.update_progress("d" * 32, "", 0.5)
        assert missing.status_code == 403 and missing.json()["code"] == 2003
        bad = await http.put(
            "/kosync/syncs/progress",
            content=b"{not json",
            headers=koreader._headers() | {"content-type": "application/json"},
        )
        assert bad.status_code == 403 and bad.json()["code"] == 2003
        no_doc = await http.put("/kosync/syncs/progress", json={"progress": "x"}, headers=koreader._headers())
        assert no_doc.status_code == 403 and no_doc.json()["code"] == 2004

        registration = await koreader.register()  # off by default
        assert registration.status_code == 402 and registration.json()["code"] == 2005

        listed = (await reader.get("/api/v1/device-passwords")).json()
        assert listed[0]["last_used_at"] is not None
        assert (await reader.delete(f"/api/v1/device-passwords/{listed[0]['id']}")).status_code == 204
        assert (await koreader.authorize()).status_code == 401  # revoked


async def test_one_position_between_koreader_and_the_web_reader(
    client: httpx.AsyncClient, generated_books: dict[str, Path]
) -> None:
    path = generated_books["novel"]
    data = path.read_bytes()
    reader = await sign_up(client)
    book = await _ready_chapters(reader, path)
    document = partial_md5(data)
    pointers = epub_paragraphs(data)
    xpointer, element = pointers[len(pointers) // 2]

    async with httpx.AsyncClient(base_url=client.base_url) as http:
        koreader = KOReader(http, reader.email, await _device(reader))
        pushed = await koreader.update_progress(document, f"{xpointer}/text().7", 0.5)
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["document"] == document and isinstance(pushed.json()["timestamp"], int)

        # the web reader now stands in the same paragraph, 7 characters in
        web = (await reader.get(f"/api/v1/books/{book['id']}/progress")).json()
        assert web["device"] == koreader.device
        assert await _paragraph_text(reader, book["id"], web["chapter"], web["offset"]) == visible_text(
            element
        )

        # the device that wrote it gets its own words back
        same = (await koreader.get_progress(document)).json()
        assert same["progress"] == f"{xpointer}/text().7" and same["device_id"] == koreader.device_id
        assert set(same) == {"document", "progress", "percentage", "device", "device_id", "timestamp"}

        # the filename mode finds the same book
        by_name = hashlib.md5(path.name.encode()).hexdigest()
        assert (await koreader.get_progress(by_name)).json()["progress"] == same["progress"]

        # the web reader moves on (newer): KOReader is served an XPointer to that paragraph
        later = datetime.now(UTC) + timedelta(seconds=1)
        target = pointers[-3][1]
        chapters = (await reader.get(f"/api/v1/books/{book['id']}/chapters")).json()
        last = chapters[-1]["number"]
        chapter = (await reader.get(f"/api/v1/books/{book['id']}/chapters/{last}")).json()
        start, _end = chapter["paragraphs"][-3]
        moved = await reader.put(
            f"/api/v1/books/{book['id']}/progress",
            json={
                "chapter": last,
                "offset": start + 3,
                "percentage": 97.0,
                "device": "Firefox",
                "updated_at": later.isoformat(),
            },
        )
        assert moved.status_code == 200, moved.text
        served = (await koreader.get_progress(document)).json()
        assert served["device"] == "Firefox" and served["device_id"] != koreader.device_id
        assert abs(served["percentage"] - 0.97) < 1e-6
        resolved = SourceResolver(data, "epub").resolve(served["progress"])
        assert resolved is not None
        assert visible_text(resolved) == "".join(chapter["text"][start:_end].split())
        assert visible_text(target) == visible_text(resolved)

        # KOReader pushes again (now the newest write); a stale web write (an hour old) changes nothing
        again = await koreader.update_progress(document, f"{xpointer}/text().0", 0.5)
        assert again.status_code == 200
        stale = await reader.put(
            f"/api/v1/books/{book['id']}/progress",
            json={
                "chapter": last,
                "offset": 0,
                "percentage": 90.0,
                "updated_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            },
        )
        assert stale.status_code == 200 and stale.json()["accepted"] is False
        web = (await reader.get(f"/api/v1/books/{book['id']}/progress")).json()
        assert await _paragraph_text(reader, book["id"], web["chapter"], web["offset"]) == visible_text(
            element
        )
        assert (await koreader.get_progress(document)).json()["progress"] == f"{xpointer}/text().0"


async def test_failed_sign_ins_are_throttled_per_account(client: httpx.AsyncClient) -> None:
    reader = await sign_up(client)
    password = await _device(reader)
    neighbour = await sign_up(client)
    neighbour_password = await _device(neighbour)
    async with httpx.AsyncClient(base_url=client.base_url) as http:
        guesser = KOReader(http, reader.email, "guess")
        statuses = [(await guesser.authorize()).status_code for _ in range(14)]
        assert statuses[0] == 401 and statuses[-1] == 429, statuses
        blocked = await KOReader(http, reader.email, password).authorize()  # even the right key, for a while
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert blocked.json()["code"] == 2001 and blocked.headers["content-type"] == "application/json"
        basic = await http.get("/opds/v1.2/", auth=(reader.email, password))
        assert basic.status_code == 429
        assert (await KOReader(http, neighbour.email, neighbour_password).authorize()).status_code == 200


async def test_fb2_position_maps_to_the_same_paragraph(
    client: httpx.AsyncClient, generated_books: dict[str, Path]
) -> None:
    path = generated_books["russian"]
    data = path.read_bytes()
    reader = await sign_up(client)
    book = await _ready_chapters(reader, path)
    resolver = SourceResolver(data, "fb2")
    section_paragraphs = [
        (f"/FictionBook/body/section[2]/p[{n}]", resolver.resolve(f"/FictionBook/body/section[2]/p[{n}]"))
        for n in (2, 5)
    ]
    async with httpx.AsyncClient(base_url=client.base_url) as http:
        koreader = KOReader(http, reader.email, await _device(reader), model="PocketBook")
        for xpointer, element in section_paragraphs:
            assert element is not None
            pushed = await koreader.update_progress(partial_md5(data), f"{xpointer}/text().3", 0.4)
            assert pushed.status_code == 200
            web = (await reader.get(f"/api/v1/books/{book['id']}/progress")).json()
            assert await _paragraph_text(reader, book["id"], web["chapter"], web["offset"]) == visible_text(
                element
            )
