"""Findings of the outside security review, each against the running service: bounded auth bodies, JSON-only
credentials, a per-IP limit on auth that ignores the email, bounded integer parameters, private image caching.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import socket
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
from PIL import Image
from tests.books import EN_SENTENCES
from tests.harness import LiveService, random_email, serving
from tests.integration.illustrations.helpers import pregenerated_images, ready_book
from tests.support import sign_up
from tests.unit.ingest.builders import make_epub, xhtml

from bookreader.core.embedded import EmbeddedRedis
from bookreader.settings import DEFAULT_SECRET_KEY


def raw_post(base_url: str, path: str, headers: str, chunks: int = 0) -> tuple[int, bytes]:
    """POST over a bare socket, as an attacker would: a huge declared length, or endless chunks."""
    address = (urlsplit(base_url).hostname, urlsplit(base_url).port)
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{headers}\r\n".encode()
        )
        with contextlib.suppress(OSError):  # the server may answer and close while we still send
            prefix = b'{"email": "a@b.c", "password": "'  # never finished
            sock.sendall(b"%x\r\n%s\r\n" % (len(prefix), prefix) if chunks else prefix)
            for _ in range(chunks):  # 16 KiB chunks until the server answers (or 6 MiB went out)
                sock.sendall(b"4000\r\n" + b"x" * 0x4000 + b"\r\n")
        answer = sock.recv(65536)
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


async def test_auth_body_is_capped_before_it_is_read(base_url: str) -> None:
    declared, body = await asyncio.to_thread(
        raw_post, base_url, "/api/v1/auth/login", "Content-Length: 314572800\r\n"
    )
    assert declared == 413 and b"body_too_large" in body
    # no Content-Length: the cap must hold while reading
    streamed, body = await asyncio.to_thread(
        raw_post, base_url, "/api/v1/auth/login", "Transfer-Encoding: chunked\r\n", chunks=384
    )
    assert streamed == 413 and b"body_too_large" in body


async def test_credentials_only_as_json(client: httpx.AsyncClient) -> None:
    email = random_email()
    body = f'{{"email": "{email}", "password": "correct horse 1"}}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        answer = await client.post("/api/v1/auth/register", content=body, headers=headers)
        assert answer.status_code == 415, (content_type, answer.text)
        assert answer.json()["code"] == "unsupported_media_type"
    ok = await client.post(
        "/api/v1/auth/register", content=body, headers={"Content-Type": "application/json"}
    )
    assert ok.status_code == 201


@contextlib.contextmanager
def limited_api(migrated: dict[str, str], tmp_path, **limits: str):
    """An API with the given limits and its own Redis (the suite's counts must not leak in)."""
    redis = EmbeddedRedis(tmp_path / "redis", persistent=False)
    env = {**migrated, "REDIS_URL": redis.start(), "BOOKREADER_EMBEDDED_WORKER": "0", **limits}
    try:
        with serving(env, tmp_path / "api.log", command="api") as service:
            yield service
    finally:
        redis.stop()


@pytest.fixture
def auth_limited_service(migrated, tmp_path):
    """A per-IP auth limit of 5."""
    with limited_api(migrated, tmp_path, BOOKREADER_RATE_LIMIT_AUTH_IP="5") as service:
        yield service


async def test_auth_is_limited_per_ip_whatever_the_email(auth_limited_service) -> None:
    async with httpx.AsyncClient(base_url=auth_limited_service.base_url, timeout=30) as http:
        statuses = []
        for _ in range(6):  # a new email each time: the per IP + email limit never trips
            answer = await http.post(
                "/api/v1/auth/register", json={"email": random_email(), "password": "correct horse 1"}
            )
            statuses.append(answer.status_code)
        assert statuses == [201] * 5 + [429]
        login = await http.post(
            "/api/v1/auth/login", json={"email": random_email(), "password": "whatever 12"}
        )
        assert login.status_code == 429 and login.json()["code"] == "rate_limited"


@pytest.fixture
def account_limited_service(migrated, tmp_path):
    """A per IP + account limit of 3 a minute."""
    with limited_api(migrated, tmp_path, BOOKREADER_RATE_LIMIT_AUTH="3") as service:
        yield service


async def test_password_changes_behind_one_address_are_limited_per_account(account_limited_service) -> None:
    """A password change carries no email: it is limited per signed-in user, a reset per token, so readers
    sharing one address (a household's NAT, the test suite) never use up each other's attempts."""
    async with httpx.AsyncClient(base_url=account_limited_service.base_url, timeout=30) as http:
        readers = [await sign_up(http) for _ in range(4)]
        wrong = {"current_password": "not it at all", "new_password": "brand new pass 2"}
        first_tries = [(await r.post("/api/v1/auth/password", json=wrong)).status_code for r in readers]
        assert first_tries == [401] * 4
        again = [(await readers[0].post("/api/v1/auth/password", json=wrong)).status_code for _ in range(3)]
        assert again == [401, 401, 429]  # the same account: 3 a minute, then refused
        resets = [
            (
                await http.post(
                    "/api/v1/auth/password-reset",
                    json={"token": f"unknown-{n}", "new_password": "long enough 9"},
                )
            ).status_code
            for n in range(4)
        ]
        assert 429 not in resets, resets


@pytest.fixture
async def real_cost_client(migrated, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    """An API hashing with the shipped argon2 cost (the suite's services use a small one)."""
    with limited_api(migrated, tmp_path, BOOKREADER_PASSWORD_HASH_MEMORY_KIB="65536") as service:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            yield http


async def test_password_hashing_leaves_the_event_loop_free(real_cost_client: httpx.AsyncClient) -> None:
    client, base_url = real_cost_client, str(real_cost_client.base_url)
    email, password = random_email(), "correct horse 1"
    assert (
        await client.post("/api/v1/auth/register", json={"email": email, "password": password})
    ).status_code == 201

    async def logins() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            for _ in range(3):
                await http.post("/api/v1/auth/login", json={"email": email, "password": "wrong password"})

    streams = [asyncio.create_task(logins()) for _ in range(6)]
    health = []
    while not all(stream.done() for stream in streams):
        started = time.perf_counter()
        assert (await client.get("/health")).status_code == 200
        health.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)
    await asyncio.gather(*streams)
    assert len(health) >= 5
    # with argon2 on the loop, /health waited behind every hash (p50 120 ms in the review)
    assert sorted(health)[len(health) // 2] < 0.1, health


async def test_integer_parameters_out_of_range_are_a_400(client: httpx.AsyncClient, generated_books) -> None:
    reader = await sign_up(client)
    book = (await reader.upload(generated_books["tiny"])).json()
    await reader.wait_for_book(book["id"])
    huge = "99999999999999999999"
    answers = {
        "sessions offset": await reader.get(f"/api/v1/reading-sessions?offset={huge}"),
        "books offset": await reader.get(f"/api/v1/books?offset={huge}"),
        "chapter": await reader.get(f"/api/v1/books/{book['id']}/chapters/{huge}"),
        "chapter int64": await reader.get(f"/api/v1/books/{book['id']}/chapters/9999999999"),
        "descriptions": await reader.get(f"/api/v1/books/{book['id']}/descriptions?chapter=9999999999"),
        "bookmarks": await reader.post(
            f"/api/v1/books/{book['id']}/bookmarks", json={"chapter": 9999999999, "offset": 0}
        ),
    }
    for name, answer in answers.items():
        assert answer.status_code in (400, 404), (name, answer.status_code, answer.text)
        assert answer.json()["code"] in ("validation_error", "chapter_not_found", "not_found"), name


def _png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 900), color).save(buffer, "PNG")
    return buffer.getvalue()


async def test_image_files_are_cached_privately(client: httpx.AsyncClient, tmp_path) -> None:
    """Covers, chapter pictures and generated pictures are one user's: `private`, never `public` (review #14)."""
    reader = await sign_up(client)
    prose = "".join(f"<p>{' '.join(EN_SENTENCES[i : i + 4])}</p>" for i in range(0, 10))
    path = tmp_path / "pictured.epub"
    path.write_bytes(
        make_epub(
            {"c1.xhtml": xhtml(f"<h1>One</h1><p><img src='plate.png' alt='a plate'/></p>{prose}"),
             "c2.xhtml": xhtml(f"<h1>Two</h1>{prose}")},
            title="Pictured", metadata='<meta name="cover" content="cover"/>',
            extra_manifest='<item id="cover" href="cover.png" media-type="image/png"/>'
            '<item id="plate" href="plate.png" media-type="image/png"/>',
            extra_files={"OEBPS/cover.png": _png((40, 90, 160)), "OEBPS/plate.png": _png((160, 90, 40))},
        )
    )  # fmt: skip
    book = await ready_book(reader, path)
    chapter = (await reader.get(f"/api/v1/books/{book['id']}/chapters/1")).json()
    asset = re.search(r'src="(/api/v1/books/[^"]+/assets/[^"]+)"', chapter["html"])
    assert book["cover_url"] and asset, chapter["html"][:500]
    pictures = await pregenerated_images(reader, book["id"])
    urls = [book["cover_url"], book["thumbnail_url"], asset.group(1)]
    urls += [url for image in pictures for url in (image["url"], image["thumbnail_url"])]
    for url in urls:
        answer = await reader.get(url)
        assert answer.status_code == 200, (url, answer.text[:200])
        cache = answer.headers["cache-control"]
        assert cache.startswith("private") and "public" not in cache, (url, cache)


async def test_a_token_signed_with_the_old_constant_is_refused(migrated, tmp_path) -> None:
    """Review #2 as the attacker did it: development mode, no key configured, a token for someone else's id
    signed with the constant every install used to share. Now the install's own generated key signs."""
    env = {k: v for k, v in migrated.items() if k != "BOOKREADER_SECRET_KEY"}
    env |= {"BOOKREADER_ENV": "development", "BOOKREADER_DATA_DIR": str(tmp_path / "data")}
    env |= {"BOOKREADER_EMBEDDED_WORKER": "0", "BOOKREADER_LOG_FILE": str(tmp_path / "service.log")}
    service = LiveService(env, command="serve", log_path=tmp_path / "serve.log").start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            victim = await sign_up(http)
            claims = jwt.decode(victim.tokens["access_token"], options={"verify_signature": False})
            forged = jwt.encode(claims, DEFAULT_SECRET_KEY, algorithm="HS256")
            answer = await http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {forged}"})
            assert answer.status_code == 401, answer.text
            assert (await victim.get("/api/v1/users/me")).status_code == 200  # the real token still works
    finally:
        service.stop()
    key_file = tmp_path / "data" / "secret_key"
    assert len(key_file.read_text()) >= 32 and key_file.stat().st_mode & 0o077 == 0
    logged = (tmp_path / "serve.log").read_text() + (tmp_path / "service.log").read_text()
    assert "BOOKREADER_SECRET_KEY is not set" in logged  # the operator is warned at start
