"""`/opds/v1.2/` (Atom) and `/opds/v2/` (OPDS 2.0 JSON) catalogs, and `/opds/books/{id}/...` files.

Everything — feeds, covers, downloads — asks for HTTP Basic (email + device password), so a client that
forgets credentials on images still gets a clear 401 with `WWW-Authenticate`; on `/opds/v2/` the 401 body is
the Authentication for OPDS document.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Request, Response, Router, get
from litestar.di import Provide
from litestar.response import File

from bookreader.core.errors import DomainError, NotFound, Unauthorized, handle_exception
from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.service import get_book
from bookreader.domain.devices.service import BASIC_REALM, basic_user
from bookreader.domain.exports.service import built_file
from bookreader.domain.opds import atom, opds2, service
from bookreader.domain.opds.navigation import root_items
from bookreader.domain.opds.schemas import EXPORT_MEDIA_TYPE, MEDIA_TYPES, Page
from bookreader.domain.opds.shelves import shelf_page

USER = {"user": Provide(basic_user)}
# section → (title, order) for acquisition feeds; facet sections list values, facet targets filter by one
LISTS = {"recent": ("Recently added", "recent"), "all": ("All books", "title")}
FACET_TITLES = {"authors": "Authors", "series": "Series", "languages": "Languages"}
TARGETS = {"author": "authors", "in-series": "series", "language": "languages"}
_NO_STORE = {"Cache-Control": "private, no-cache"}


class Section:
    """What one catalog URL shows, independent of the OPDS version."""

    def __init__(self, page: Page, *, books=None, items=None, paginated: bool = True) -> None:
        self.page, self.books, self.items, self.paginated = page, books, items, paginated


async def load_section(user: User, section: str, request: Request, search_param: str) -> Section:
    params = request.query_params
    try:
        number = max(1, int(params.get("page", "1")))
    except ValueError:
        number = 1
    per_page = service.PER_PAGE
    if section == "":
        items = await root_items(user)
        page = Page(path="", title="BookReader", per_page=len(items) or 1, total=len(items))
        return Section(page, items=items, paginated=False)
    if section in LISTS:
        title, order = LISTS[section]
        books, total = await service.books_page(user, order=order, page=number)
        return Section(
            Page(path=section, title=title, number=number, per_page=per_page, total=total), books=books
        )
    if section in FACET_TITLES:
        items, total = await service.facet_page(user, section, page=number)
        page = Page(path=section, title=FACET_TITLES[section], number=number, per_page=per_page, total=total)
        return Section(page, items=items)
    if section in TARGETS:
        name = params.get("name", "")
        books, total = await service.books_page(
            user, order="title", facet=TARGETS[section], value=name, page=number
        )
        page = Page(path=section, title=name or "Untitled", number=number, per_page=per_page, total=total,
                    query={"name": name})  # fmt: skip
        return Section(page, books=books)
    if section == "search":
        query = params.get(search_param, "")
        books, total = await service.books_page(user, order="title", query=query, page=number)
        page = Page(path="search", title=f"Search: {query}", number=number, per_page=per_page, total=total,
                    query={search_param: query})  # fmt: skip
        return Section(page, books=books)
    if section == "shelf":
        name, books, total = await shelf_page(user, params.get("id", ""), number)
        page = Page(path="shelf", title=name, number=number, per_page=per_page, total=total,
                    query={"id": params.get("id", "")})  # fmt: skip
        return Section(page, books=books)
    raise NotFound("No such catalog page.", code="opds_not_found")


def _updated(section: Section) -> datetime:
    stamps = [book.updated_at for book in section.books or []]
    return max(stamps) if stamps else datetime.now(UTC)


# OPDS 1.2 ------------------------------------------------------------------------------------------------


def _atom(section: Section) -> Response[str]:
    if section.books is not None:
        body, kind = atom.acquisition_feed(section.page, section.books, _updated(section)), atom.ACQUISITION
    else:
        body = atom.navigation_feed(
            section.page, section.items or [], _updated(section), paginated=section.paginated
        )
        kind = atom.NAVIGATION
    return Response(body, media_type=kind, headers=_NO_STORE)


@get("/", operation_id="opdsRoot", dependencies=USER)
async def v1_root(request: Request, user: User) -> Response[str]:
    return _atom(await load_section(user, "", request, "q"))


@get("/opensearch.xml", operation_id="opdsOpenSearch", dependencies=USER)
async def v1_opensearch(user: User) -> Response[str]:
    return Response(atom.opensearch_description(), media_type=atom.OPENSEARCH)


@get("/{section:str}", operation_id="opdsFeed", dependencies=USER)
async def v1_feed(request: Request, user: User, section: str) -> Response[str]:
    return _atom(await load_section(user, section, request, "q"))


# OPDS 2.0 ------------------------------------------------------------------------------------------------


def _json(section: Section) -> Response[dict]:
    if section.books is not None:
        body = opds2.acquisition_feed(section.page, section.books)
    else:
        body = opds2.navigation_feed(section.page, section.items or [], paginated=section.paginated)
    return Response(body, media_type=opds2.OPDS_JSON, headers=_NO_STORE)


@get("/", operation_id="opds2Root", dependencies=USER)
async def v2_root(request: Request, user: User) -> Response[dict]:
    return _json(await load_section(user, "", request, "query"))


@get("/authentication", operation_id="opds2Authentication")
async def v2_authentication(request: Request) -> Response[dict]:
    return Response(opds2.authentication_document(_origin(request)), media_type=opds2.AUTH_JSON)


@get("/{section:str}", operation_id="opds2Feed", dependencies=USER)
async def v2_feed(request: Request, user: User, section: str) -> Response[dict]:
    return _json(await load_section(user, section, request, "query"))


def _origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def v2_exception_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Unauthorized):
        return Response(
            opds2.authentication_document(_origin(request)),
            status_code=401,
            media_type=opds2.AUTH_JSON,
            headers={"WWW-Authenticate": BASIC_REALM, **exc.headers},
        )
    return handle_exception(request, exc)


# files ---------------------------------------------------------------------------------------------------


@get("/{book_id:uuid}/file", operation_id="opdsDownload", dependencies=USER)
async def download(user: User, book_id: uuid.UUID, storage: Storage) -> File:
    book = await get_book(user, book_id)
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


@get("/{book_id:uuid}/export.epub", operation_id="opdsExport", dependencies=USER)
async def export(user: User, book_id: uuid.UUID, storage: Storage) -> File:
    """The last illustrated EPUB built (an OPDS client cannot wait for a 202; the feed links it once built)."""
    found = await built_file(user, book_id, storage)
    return File(path=found.path, filename=found.filename, media_type=EXPORT_MEDIA_TYPE)


async def _image(user: User, storage: Storage, book_id: uuid.UUID, names: tuple[str, ...]) -> File:
    book = await get_book(user, book_id)
    book_dir = storage.book_dir(book.id)
    path = next((book_dir / name for name in names if (book_dir / name).is_file()), None)
    if not book.has_cover or path is None:
        raise NotFound("This book has no cover.", code="cover_not_found")
    with path.open("rb") as fh:
        head = fh.read(8)
    media = (
        "image/png"
        if head.startswith(b"\x89PNG")
        else "image/gif"
        if head.startswith(b"GIF8")
        else "image/jpeg"
    )
    return File(path=path, media_type=media, content_disposition_type="inline",
                headers={"Cache-Control": "private, max-age=86400"})  # fmt: skip


@get("/{book_id:uuid}/cover", operation_id="opdsCover", dependencies=USER)
async def cover(user: User, storage: Storage, book_id: uuid.UUID) -> File:
    return await _image(user, storage, book_id, ("cover",))


@get("/{book_id:uuid}/thumbnail", operation_id="opdsThumbnail", dependencies=USER)
async def thumbnail(user: User, storage: Storage, book_id: uuid.UUID) -> File:
    return await _image(user, storage, book_id, ("cover-thumb.jpg", "cover"))


def _problem_with_realm(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DomainError) and exc.status == 401:
        exc.headers.setdefault("WWW-Authenticate", BASIC_REALM)
    return handle_exception(request, exc)


opds_v1_router = Router(
    path="/opds/v1.2", route_handlers=[v1_root, v1_opensearch, v1_feed], tags=["opds"],
    exception_handlers={Exception: _problem_with_realm},
)  # fmt: skip
opds_v2_router = Router(
    path="/opds/v2", route_handlers=[v2_root, v2_authentication, v2_feed], tags=["opds"],
    exception_handlers={Exception: v2_exception_handler},
)  # fmt: skip
opds_files_router = Router(
    path="/opds/books", route_handlers=[download, export, cover, thumbnail], tags=["opds"],
    exception_handlers={Exception: _problem_with_realm},
)  # fmt: skip
ROUTES = [opds_v1_router, opds_v2_router, opds_files_router]
