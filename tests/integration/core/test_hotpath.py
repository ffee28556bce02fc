"""The hot routes answered below the handler machinery (core/hotpath.py) answer exactly as their ordinary
handlers: the same status, body and headers for the same request. The ordinary handler answers the UI's
cookie (the rate limiter only establishes Bearer callers) and a body too large to read on the hot path."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bookreader.core.auth import ACCESS_COOKIE
from tests.harness import SHARED_BOOKS
from tests.integration.reading.conftest import ALICE, book_with_chapters
from tests.support import sign_up

VARYING = {"x-request-id", "date", "server"}


@pytest.fixture(scope="session")
def small_book(generated_books: dict[str, Path]) -> Path:
    return SHARED_BOOKS / ALICE if SHARED_BOOKS.is_dir() else generated_books["tiny"]


def comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in VARYING}
    return response.status_code, response.content, headers


async def test_hot_reads_answer_like_the_ordinary_handlers(
    client: httpx.AsyncClient, base_url: str, small_book
) -> None:
    reader, stranger = await sign_up(client), await sign_up(client)
    book = await book_with_chapters(reader, small_book, ready=True)
    token = reader.tokens["access_token"]
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as bearer,
        httpx.AsyncClient(base_url=base_url, timeout=30, cookies={ACCESS_COOKIE: token}) as cookie,
    ):
        auth = {"Authorization": f"Bearer {token}"}
        chapter = f"/api/v1/books/{book['id']}/chapters/1"
        hot, ordinary = await bearer.get(chapter, headers=auth), await cookie.get(chapter)
        assert hot.status_code == 200 and hot.headers["etag"], hot.text
        assert comparable(hot) == comparable(ordinary)
        revalidate = {"If-None-Match": hot.headers["etag"]}
        hot = await bearer.get(chapter, headers={**auth, **revalidate})
        ordinary = await cookie.get(chapter, headers=revalidate)
        assert hot.status_code == 304 and comparable(hot) == comparable(ordinary)
        for path in (f"/api/v1/books/{book['id']}", f"/api/v1/books/{book['id']}/chapters/999"):
            hot, ordinary = await bearer.get(path, headers=auth), await cookie.get(path)
            assert comparable(hot) == comparable(ordinary), path
        assert (await bearer.get(f"/api/v1/books/{book['id']}/chapters/999", headers=auth)).status_code == 404
        refused = await stranger.get(chapter)  # another reader's book, on the hot path: the same 404
        assert refused.status_code == 404 and refused.json()["code"] == "book_not_found"


async def test_a_hot_write_answers_like_the_ordinary_handler(client: httpx.AsyncClient, small_book) -> None:
    reader = await sign_up(client)
    book = await book_with_chapters(reader, small_book)
    url = f"/api/v1/books/{book['id']}/progress"
    write = b'{"chapter":1,"offset":4,"percentage":3.5,"device":"e-ink","updated_at":"2026-03-01T10:00:00Z"}'
    headers = {**reader.headers, "Content-Type": "application/json"}
    hot = await client.put(url, content=write, headers=headers)
    # the same JSON padded past what the hot path reads: the ordinary handler decodes and answers it
    ordinary = await client.put(url, content=write + b" " * 20_000, headers=headers)
    assert hot.status_code == 200 and hot.json()["accepted"] is True, hot.text
    assert comparable(hot) == comparable(ordinary)
    invalid = await client.put(url, content=b'{"chapter":1,"offset":-1,"percentage":1}', headers=headers)
    assert invalid.status_code == 400 or invalid.status_code == 422, invalid.text
    assert invalid.json()["code"]
    older = write.replace(b"2026-03-01", b"2026-02-01").replace(b'"offset":4', b'"offset":1')
    stale = await client.put(url, content=older, headers=headers)
    assert stale.json()["accepted"] is False and stale.json()["offset"] == 4


async def test_a_signed_out_token_is_refused_at_once_on_every_hot_route(
    client: httpx.AsyncClient, small_book
) -> None:
    reader = await sign_up(client)
    book = await book_with_chapters(reader, small_book)
    routes = [
        ("GET", f"/api/v1/books/{book['id']}/chapters/1", None),
        ("GET", f"/api/v1/books/{book['id']}", None),
        ("PUT", f"/api/v1/books/{book['id']}/progress", {"chapter": 1, "offset": 2, "percentage": 1.0}),
    ]
    for method, url, body in routes:
        assert (await client.request(method, url, json=body, headers=reader.headers)).status_code == 200
    assert (await reader.post("/api/v1/auth/logout")).status_code == 204
    for method, url, body in routes:  # the very next request, same token
        refused = await client.request(method, url, json=body, headers=reader.headers)
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_token", (url, refused.text)
