"""The one-statement hot paths (issue 17): GET chapter, GET book, GET/PUT progress and list books check the
account, the ownership and the data in one round trip — they must refuse exactly what the two-step version
refused: a disabled account (401), another reader's book (404), a stale write (kept, `accepted: false`)."""

from __future__ import annotations

import httpx
from tests.integration.reading.conftest import book_with_chapters
from tests.support import Reader, sign_up

from bookreader.domain.accounts.tables import User


def hot_routes(book_id: str) -> list[tuple[str, str, dict | None]]:
    progress = {"chapter": 1, "offset": 3, "percentage": 1.0, "device": "test"}
    return [
        ("GET", f"/api/v1/books/{book_id}/chapters/1", None),
        ("GET", f"/api/v1/books/{book_id}", None),
        ("PUT", f"/api/v1/books/{book_id}/progress", progress),
        ("GET", f"/api/v1/books/{book_id}/progress", None),
    ]


async def call(reader: Reader, method: str, url: str, body: dict | None) -> httpx.Response:
    return await (reader.put(url, json=body) if method == "PUT" else reader.get(url))


async def test_a_disabled_account_is_refused_on_every_hot_route(
    client: httpx.AsyncClient, small_book, db
) -> None:
    reader = await sign_up(client)
    book = await book_with_chapters(reader, small_book)
    for method, url, body in hot_routes(book["id"]):
        assert (await call(reader, method, url, body)).status_code == 200, url
    me = (await reader.get("/api/v1/users/me")).json()
    await User.update({User.disabled: True}).where(User.email == me["email"])
    try:
        for method, url, body in hot_routes(book["id"]):
            refused = await call(reader, method, url, body)
            assert refused.status_code == 401, (url, refused.text)
            assert refused.json()["code"] == "invalid_token"
        assert (await reader.get("/api/v1/books")).status_code == 401
    finally:
        await User.update({User.disabled: False}).where(User.email == me["email"])
    assert (await reader.get(f"/api/v1/books/{book['id']}")).status_code == 200


async def test_another_readers_book_is_404_and_writes_nothing(client: httpx.AsyncClient, small_book) -> None:
    owner, stranger = await sign_up(client), await sign_up(client)
    book = await book_with_chapters(owner, small_book)
    for method, url, body in hot_routes(book["id"]):
        refused = await call(stranger, method, url, body)
        assert refused.status_code == 404, (url, refused.text)
        assert refused.json()["code"] == "book_not_found"
    # the owner has no position: the stranger's PUT neither stored one nor logged a write
    assert (await owner.get(f"/api/v1/books/{book['id']}/progress")).status_code == 404
    listed = (await stranger.get("/api/v1/books")).json()
    assert listed["items"] == [] and listed["total"] == 0


async def test_stale_write_answers_the_stored_position(client: httpx.AsyncClient, small_book) -> None:
    reader = await sign_up(client)
    book = await book_with_chapters(reader, small_book)
    url = f"/api/v1/books/{book['id']}/progress"
    newer = {
        "chapter": 2,
        "offset": 5,
        "percentage": 50.0,
        "device": "phone",
        "updated_at": "2026-01-02T00:00:00Z",
    }
    older = {
        "chapter": 1,
        "offset": 1,
        "percentage": 2.0,
        "device": "tablet",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    assert (await reader.put(url, json=newer)).json()["accepted"] is True
    stale = (await reader.put(url, json=older)).json()
    assert stale["accepted"] is False
    assert (stale["chapter"], stale["offset"], stale["device"]) == (2, 5, "phone")
    current = (await reader.get(url)).json()
    assert (current["chapter"], current["offset"], current["device"]) == (2, 5, "phone")


async def test_list_books_pages_and_counts_in_one_statement(client: httpx.AsyncClient, small_book) -> None:
    reader = await sign_up(client)
    first = await book_with_chapters(reader, small_book)
    second = (await reader.upload(small_book, filename="another-name.epub")).json()  # same file: same book
    assert second["id"] == first["id"]
    page = (await reader.get("/api/v1/books", params={"limit": 1})).json()
    assert page["total"] == 1 and [b["id"] for b in page["items"]] == [first["id"]]
    past_the_end = (await reader.get("/api/v1/books", params={"limit": 1, "offset": 5})).json()
    assert past_the_end["items"] == [] and past_the_end["total"] == 1
    title_word = first["title"].split()[0]
    assert (await reader.get("/api/v1/books", params={"q": title_word})).json()["total"] == 1
    assert (await reader.get("/api/v1/books", params={"q": "no such title at all"})).json()["total"] == 0
