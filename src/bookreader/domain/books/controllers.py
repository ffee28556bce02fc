from __future__ import annotations

import hashlib
import mimetypes
import uuid
from typing import Annotated, Literal

import msgspec
from arq.connections import ArqRedis
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import MediaType, RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import File
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED
from litestar.types import Scope

from bookreader.core.auth import Caller
from bookreader.core.errors import InvalidInput, NotFound
from bookreader.core.hotpath import Answer, hot_route, json_headers
from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.books import service
from bookreader.domain.books.library import LibraryFilter, ReadStatus, Sort, list_library
from bookreader.domain.books.schemas import BookPage, BookRead, ChapterRead, ChapterSummary
from bookreader.settings import Settings

IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}
# book files come from untrusted uploads (an SVG may carry script): never let one run as our origin
ASSET_HEADERS = {
    **IMMUTABLE,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
}
MEDIA_TYPES = {"epub": "application/epub+zip", "fb2": "application/x-fictionbook+xml"}


async def _chapter_answer(
    caller: Caller, book_id: uuid.UUID, number: int, if_none_match: str
) -> tuple[int, dict[str, str], bytes]:
    body, ready = await service.get_chapter(caller, book_id, number)
    if not ready:  # still being analysed: descriptions may appear at any moment
        return HTTP_200_OK, {"Cache-Control": "private, no-cache"}, body
    # a ready chapter changes only with the reader's own pictures: revalidate, 304 when unchanged
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag in if_none_match:
        return HTTP_304_NOT_MODIFIED, headers, b""
    return HTTP_200_OK, headers, body


def _header(scope: Scope, wanted: bytes) -> str:
    return next((value.decode("latin-1") for name, value in scope["headers"] if name == wanted), "")


async def _hot_chapter(scope: Scope, caller: Caller, _: bytes) -> Answer:
    """GET chapter below the handler machinery (`core.hotpath`): the same answer as `chapter`."""
    params = scope["path_params"]
    if_none_match = _header(scope, b"if-none-match")
    status, headers, body = await _chapter_answer(caller, params["book_id"], params["number"], if_none_match)
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    if status == HTTP_304_NOT_MODIFIED:
        return status, raw, body
    return status, json_headers(body, *raw), body


_encoder = msgspec.json.Encoder()


async def _hot_book(scope: Scope, caller: Caller, _: bytes) -> Answer:
    body = _encoder.encode(await service.read_book(caller, scope["path_params"]["book_id"]))
    return HTTP_200_OK, json_headers(body), body


class BookController(Controller):
    path = "/api/v1/books"
    tags = ["books"]

    @post(
        "/",
        operation_id="uploadBook",
        status_code=HTTP_202_ACCEPTED,
        summary="Upload an EPUB or FB2 book",
        description="202 with the queued book; 200 with the existing book when the same file was uploaded before.",
    )
    async def upload(
        self,
        user: User,
        data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)],
        settings: Settings,
        storage: Storage,
        queue: ArqRedis,
    ) -> Response[BookRead]:
        upload = data.get("file") if isinstance(data, dict) else None
        if not isinstance(upload, UploadFile):
            raise InvalidInput("Send the book as multipart field `file`.", code="file_missing")
        book, created = await service.upload(  # the spooled file itself: never read whole into memory
            user, upload.filename or "book", upload.file, settings=settings, storage=storage, queue=queue
        )
        return Response(service.book_read(book), status_code=HTTP_202_ACCEPTED if created else HTTP_200_OK)

    @get("/", operation_id="listBooks")
    async def list_books(
        self,
        user: User,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000_000)] = 0,
        q: Annotated[str | None, Parameter(max_length=200)] = None,
        author: Annotated[str | None, Parameter(max_length=200)] = None,
        language: Annotated[str | None, Parameter(max_length=16)] = None,
        series: Annotated[str | None, Parameter(max_length=300)] = None,
        read_status: ReadStatus | None = None,
        has_pictures: bool | None = None,
        added_within_days: Annotated[int | None, Parameter(ge=1, le=36500)] = None,
        sort: Sort | None = None,
        order: Literal["asc", "desc"] | None = None,
    ) -> BookPage:
        library = LibraryFilter(author=author, language=language, series=series, read_status=read_status,
                                has_pictures=has_pictures, added_within_days=added_within_days, q=q)  # fmt: skip
        if library != LibraryFilter(q=q) or sort or order:  # the filtered/sorted view (books/library.py)
            books, total = await list_library(
                user.id, library, sort=sort or "recently_added", limit=limit, offset=offset,
                descending=None if order is None else order == "desc",
            )  # fmt: skip
            return BookPage(
                items=[service.book_read(b) for b in books], total=total, limit=limit, offset=offset
            )
        books, total = await service.list_books(user, limit=limit, offset=offset, q=q)
        return BookPage(items=[service.book_read(b) for b in books], total=total, limit=limit, offset=offset)

    @get("/{book_id:uuid}", operation_id="getBook", middleware=[hot_route(_hot_book)])
    async def get_book(self, caller: Caller, book_id: uuid.UUID) -> BookRead:
        return await service.read_book(caller, book_id)

    @delete("/{book_id:uuid}", operation_id="deleteBook", status_code=HTTP_204_NO_CONTENT)
    async def delete_book(self, user: User, book_id: uuid.UUID, storage: Storage) -> None:
        await service.delete_book(user, book_id, storage)

    @get("/{book_id:uuid}/file", operation_id="downloadBook")
    async def download(self, user: User, book_id: uuid.UUID, storage: Storage) -> File:
        book = await service.get_book(user, book_id)
        path = storage.original_path(book.id)
        if not path.exists():
            raise NotFound("The original file is missing.", code="file_missing")
        suffix = ".epub" if book.format == "epub" else ".fb2"
        name = (
            book.filename
            if book.filename.lower().endswith((".epub", ".fb2", ".zip"))
            else f"{book.title}{suffix}"
        )
        return File(path=path, filename=name, media_type=MEDIA_TYPES.get(book.format))

    @get("/{book_id:uuid}/cover", operation_id="getCover")
    async def cover(self, user: User, book_id: uuid.UUID, storage: Storage, size: str | None = None) -> File:
        book = await service.get_book(user, book_id)
        book_dir = storage.book_dir(book.id)
        path = book_dir / ("cover-thumb.jpg" if size == "thumb" else "cover")
        if size == "thumb" and not path.exists():
            path = book_dir / "cover"
        if not book.has_cover or not path.exists():
            raise NotFound("This book has no cover.", code="cover_not_found")
        return File(
            path=path, media_type=_sniff_image(path), headers=ASSET_HEADERS, content_disposition_type="inline"
        )

    @get("/{book_id:uuid}/assets/{name:path}", operation_id="getBookAsset")
    async def asset(self, user: User, book_id: uuid.UUID, name: str, storage: Storage) -> File:
        book = await service.get_book(user, book_id)
        path = storage.safe_child(storage.book_dir(book.id) / "assets", name.lstrip("/"))
        if path is None or not path.is_file():
            raise NotFound("No such asset.", code="asset_not_found")
        media_type = mimetypes.guess_type(path.name)[0] or _sniff_image(path)
        return File(
            path=path, media_type=media_type, headers=ASSET_HEADERS, content_disposition_type="inline"
        )

    @get("/{book_id:uuid}/chapters", operation_id="listChapters")
    async def chapters(self, user: User, book_id: uuid.UUID) -> list[ChapterSummary]:
        return await service.list_chapters(user, book_id)

    @get(
        "/{book_id:uuid}/chapters/{number:int}",
        operation_id="getChapter",
        middleware=[hot_route(_hot_chapter)],
    )
    async def chapter(
        self, request: Request, caller: Caller, book_id: uuid.UUID, number: int
    ) -> Response[ChapterRead]:
        status, headers, body = await _chapter_answer(
            caller, book_id, number, request.headers.get("if-none-match", "")
        )
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def _sniff_image(path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if head.startswith(b"GIF8"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.lstrip().startswith(b"<"):
        return "image/svg+xml"
    return "application/octet-stream"
