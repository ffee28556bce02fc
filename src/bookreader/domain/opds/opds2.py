"""OPDS 2.0 feeds (`application/opds+json`) and the Authentication for OPDS document (pure).

The same content as the 1.2 catalog: navigation collections (each link titled), publications with an
acquisition link and images, feed metadata with `numberOfItems`/`itemsPerPage`/`currentPage`, `first`/
`previous`/`next`/`last` links and a templated `search{?query}` link. A collection is never empty: an empty
page carries a navigation link back to the catalog instead (the schema asks for at least one item).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from bookreader.domain.opds.schemas import EXPORT_MEDIA_TYPE, MEDIA_TYPES, BookEntry, NavItem, Page

BASE = "/opds/v2"
FILES = "/opds/books"
OPDS_JSON = "application/opds+json"
AUTH_JSON = "application/opds-authentication+json"
AUTH_ID = "/opds/v2/authentication"


def _time(value: datetime | None) -> str:
    return (value or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_href(page: Page, number: int) -> str:
    query = {**page.query, **({"page": str(number)} if number > 1 else {})}
    path = f"{BASE}/{page.path}" if page.path else f"{BASE}/"
    return f"{path}?{urlencode(query)}" if query else path


def _links(page: Page, *, paginated: bool) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = [
        {"rel": "self", "href": page_href(page, page.number), "type": OPDS_JSON},
        {"rel": "start", "href": f"{BASE}/", "type": OPDS_JSON, "title": "Catalog"},
        {"rel": "search", "href": f"{BASE}/search{{?query}}", "type": OPDS_JSON, "templated": True},
        {"rel": "http://opds-spec.org/auth/document", "href": AUTH_ID, "type": AUTH_JSON},
    ]
    if page.path:
        links.append({"rel": "up", "href": f"{BASE}/", "type": OPDS_JSON, "title": "Catalog"})
    if paginated:
        links.append({"rel": "first", "href": page_href(page, 1), "type": OPDS_JSON})
        links.append({"rel": "last", "href": page_href(page, page.last), "type": OPDS_JSON})
        if page.number > 1:
            links.append(
                {
                    "rel": "previous",
                    "href": page_href(page, min(page.number - 1, page.last)),
                    "type": OPDS_JSON,
                }
            )
        if page.number < page.last:
            links.append({"rel": "next", "href": page_href(page, page.number + 1), "type": OPDS_JSON})
    return links


def _metadata(page: Page, *, paginated: bool) -> dict[str, Any]:
    metadata: dict[str, Any] = {"title": page.title}
    if paginated:
        metadata |= {"numberOfItems": page.total, "itemsPerPage": page.per_page, "currentPage": page.number}
    return metadata


def _back_to_catalog() -> list[dict[str, Any]]:
    return [{"href": f"{BASE}/", "title": "Catalog", "type": OPDS_JSON, "rel": "start"}]


def navigation_feed(page: Page, items: Iterable[NavItem], *, paginated: bool = False) -> dict[str, Any]:
    navigation = [
        {
            "href": f"{BASE}/{item.href}",
            "title": item.title,
            "type": OPDS_JSON,
            "rel": "subsection",
            **({"properties": {"numberOfItems": item.count}} if item.count else {}),
        }
        for item in items
    ]
    return {
        "metadata": _metadata(page, paginated=paginated),
        "links": _links(page, paginated=paginated),
        "navigation": navigation or _back_to_catalog(),
    }


def publication(book: BookEntry) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "@type": "http://schema.org/Book",
        "identifier": f"urn:uuid:{book.id}",
        "title": book.title,
        "modified": _time(book.updated_at),
    }
    if book.authors:
        metadata["author"] = [{"name": name} for name in book.authors]
    if book.language:
        metadata["language"] = book.language
    if book.summary:
        metadata["description"] = book.summary
    if book.publisher:
        metadata["publisher"] = book.publisher
    if book.year:
        metadata["published"] = str(book.year)
    if book.subjects:
        metadata["subject"] = book.subjects[:20]
    if book.series:
        series: dict[str, Any] = {
            "name": book.series,
            "links": [{"href": f"{BASE}/in-series?{urlencode({'name': book.series})}", "type": OPDS_JSON}],
        }
        if book.series_index is not None:
            series["position"] = book.series_index
        metadata["belongsTo"] = {"series": [series]}
    links: list[dict[str, Any]] = [
        {
            "rel": "http://opds-spec.org/acquisition",
            "href": f"{FILES}/{book.id}/file",
            "type": MEDIA_TYPES.get(book.format, "application/octet-stream"),
            "title": "Original file",
            **({"properties": {"size": book.file_size}} if book.file_size else {}),
        }
    ]
    if book.export_ready:
        links.append({"rel": "http://opds-spec.org/acquisition", "href": f"{FILES}/{book.id}/export.epub",
                      "type": EXPORT_MEDIA_TYPE, "title": "Illustrated EPUB"})  # fmt: skip
    result: dict[str, Any] = {"metadata": metadata, "links": links}
    if book.has_cover:
        result["images"] = [
            {"href": f"{FILES}/{book.id}/cover", "type": "image/jpeg", "rel": "cover"},
            {"href": f"{FILES}/{book.id}/thumbnail", "type": "image/jpeg", "rel": "http://opds-spec.org/image/thumbnail", "width": 320},
        ]  # fmt: skip
    return result


def acquisition_feed(page: Page, books: Iterable[BookEntry]) -> dict[str, Any]:
    feed: dict[str, Any] = {
        "metadata": _metadata(page, paginated=True),
        "links": _links(page, paginated=True),
    }
    publications = [publication(book) for book in books]
    if publications:
        feed["publications"] = publications
    else:
        feed["navigation"] = _back_to_catalog()
    return feed


def authentication_document(origin: str) -> dict[str, Any]:
    """`origin` ("https://host"): the document's `id` must be an absolute URI."""
    return {
        "id": f"{origin}{AUTH_ID}",
        "title": "BookReader",
        "description": "Sign in with your account's email and a device password (create one under Devices).",
        "authentication": [
            {
                "type": "http://opds-spec.org/auth/basic",
                "labels": {"login": "Email", "password": "Device password"},
            }
        ],
        "links": [{"rel": "start", "href": f"{BASE}/", "type": OPDS_JSON}],
    }
