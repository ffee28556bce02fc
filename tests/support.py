"""Helpers for tests that talk to the live service over HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.harness import random_email


class Reader:
    """A signed-in user of the HTTP API."""

    def __init__(self, http: httpx.AsyncClient, email: str, password: str, tokens: dict) -> None:
        self.http, self.email, self.password, self.tokens = http, email, password, tokens

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def get(self, url: str, **kw) -> httpx.Response:
        return await self.http.get(url, headers=self.headers, **kw)

    async def post(self, url: str, **kw) -> httpx.Response:
        return await self.http.post(url, headers=self.headers, **kw)

    async def put(self, url: str, **kw) -> httpx.Response:
        return await self.http.put(url, headers=self.headers, **kw)

    async def patch(self, url: str, **kw) -> httpx.Response:
        return await self.http.patch(url, headers=self.headers, **kw)

    async def delete(self, url: str, **kw) -> httpx.Response:
        return await self.http.delete(url, headers=self.headers, **kw)

    async def upload(self, path: Path, *, filename: str | None = None) -> httpx.Response:
        files = {"file": (filename or path.name, path.read_bytes(), "application/octet-stream")}
        return await self.post("/api/v1/books", files=files)

    async def wait_for_book(self, book_id: str, *, statuses=("ready", "failed"), timeout: float = 90) -> dict:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            book = (await self.get(f"/api/v1/books/{book_id}")).json()
            if book["status"] in statuses:
                return book
            if loop.time() > deadline:
                raise AssertionError(f"book {book_id} stuck in {book['status']}: {book}")
            await asyncio.sleep(0.1)


async def sign_up(
    http: httpx.AsyncClient, *, email: str | None = None, password: str = "correct horse 1"
) -> Reader:
    email = email or random_email()
    created = await http.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return Reader(http, email, password, login.json())
