"""The bare baselines `bench_http.py` measures BookReader against (run by Granian, one worker each):

- `asgi_app`: a bare ASGI callable, one asyncpg query for the chapter row, msgspec JSON;
- `litestar_app`: a bare Litestar app with the same query, plus `/health`, plus
  `PUT /progress/{owner}/{book_id}`: BookReader's own position-write statement (`WRITE_POSITION`: ownership
  check, "not older" upsert, `position_writes` row, one round trip) with the same commit durability
  (`SYNC_COMMIT`: the service's `synchronous_commit` for it), the body decoded by Litestar into a msgspec struct.

Both read `DATABASE_URL` and serve `GET /chapters/{book_id}/{number}` (no auth: the cost of "the row out of
Postgres as JSON" through each stack, the floor BookReader's authenticated route is compared to). The write
is the floor of `PUT progress`: what is left above it is BookReader's own overhead (auth, rate limit, clamp).
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import asyncpg
import msgspec
from litestar import Litestar, get, put
from litestar.exceptions import NotFoundException

from bookreader.domain.reading.service import WRITE_POSITION

QUERY = (
    "SELECT number, title, level, html, text, paragraphs::text AS paragraphs, word_count, is_front_matter "
    "FROM chapters WHERE book = $1 AND number = $2"
)


class ChapterRow(msgspec.Struct):
    number: int
    title: str
    level: int
    html: str
    text: str
    paragraphs: msgspec.Raw
    word_count: int
    is_front_matter: bool


class ProgressBody(msgspec.Struct):
    chapter: int
    offset: int
    percentage: float
    device: str = ""


class Written(msgspec.Struct):
    accepted: bool
    owned: bool


_pool: asyncpg.Pool | None = None
_encoder = msgspec.json.Encoder()
_SYNC_COMMIT = os.environ.get("SYNC_COMMIT", "on")  # bench_http passes the service's mode for this write


async def _chapter(book_id: uuid.UUID, number: int) -> bytes | None:
    assert _pool is not None
    row = await _pool.fetchrow(QUERY, book_id, number)
    if row is None:
        return None
    values = dict(row)
    values["paragraphs"] = msgspec.Raw(values["paragraphs"].encode())
    return _encoder.encode(ChapterRow(**values))


async def _open_pool() -> None:
    global _pool
    _pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=20)


async def _close_pool() -> None:
    if _pool is not None:
        await _pool.close()


async def asgi_app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await _open_pool()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await _close_pool()
                await send({"type": "lifespan.shutdown.complete"})
                return
    parts = scope["path"].strip("/").split("/")
    body, status = b'{"status":"ok"}', 200
    if len(parts) == 3 and parts[0] == "chapters":
        body = await _chapter(uuid.UUID(parts[1]), int(parts[2])) or b"{}"
        status = 200 if body != b"{}" else 404
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/chapters/{book_id:uuid}/{number:int}", media_type="application/json")
async def chapter(book_id: uuid.UUID, number: int) -> bytes:
    body = await _chapter(book_id, number)
    if body is None:
        raise NotFoundException()
    return body


@put("/progress/{owner:uuid}/{book_id:uuid}", status_code=200)
async def progress(owner: uuid.UUID, book_id: uuid.UUID, data: ProgressBody) -> Written:
    assert _pool is not None
    values = (owner, book_id, data.chapter, data.offset, data.percentage, data.device, datetime.now(UTC))
    row = await _pool.fetchrow(WRITE_POSITION, *values, _SYNC_COMMIT)
    if row is None or not row["owned"]:
        raise NotFoundException()
    return Written(row["accepted"], row["owned"])


litestar_app = Litestar([health, chapter, progress], on_startup=[_open_pool], on_shutdown=[_close_pool])
