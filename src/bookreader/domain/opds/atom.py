"""OPDS 1.2 (Atom) feeds, rendered as text (pure).

Navigation feeds link to other feeds (`subsection`, kind=navigation|acquisition); acquisition feeds carry one
entry per book with `http://opds-spec.org/acquisition` links (the original file, the illustrated EPUB when
built), covers (`http://opds-spec.org/image` and `/image/thumbnail`), authors, summary, language, series
(as a category and a `related` link), and RFC 5005 `first`/`prev`/`next`/`last` links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from bookreader.domain.opds.schemas import EXPORT_MEDIA_TYPE, MEDIA_TYPES, BookEntry, NavItem, Page

BASE = "/opds/v1.2"
FILES = "/opds/books"
NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPENSEARCH = "application/opensearchdescription+xml"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/terms/"'
    ' xmlns:opds="http://opds-spec.org/2010/catalog"'
    ' xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
)


def _text(value: object) -> str:
    return escape(_INVALID_XML.sub("", str(value)))


def _attr(value: object) -> str:
    return quoteattr(_INVALID_XML.sub("", str(value)))


def _time(value: datetime | None) -> str:
    return (value or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(rel: str, href: str, kind: str, title: str | None = None, extra: str = "") -> str:
    title_attr = f" title={_attr(title)}" if title else ""
    return f"<link rel={_attr(rel)} href={_attr(href)} type={_attr(kind)}{title_attr}{extra}/>"


def page_href(page: Page, number: int, base: str = BASE) -> str:
    query = {**page.query, **({"page": str(number)} if number > 1 else {})}
    path = f"{base}/{page.path}" if page.path else f"{base}/"
    return f"{path}?{urlencode(query)}" if query else path


def _feed_head(page: Page, kind: str, updated: datetime, *, paginated: bool) -> list[str]:
    self_href = page_href(page, page.number)
    parts = [
        _HEAD,
        f"<id>urn:bookreader:opds:{_text(page.path or 'root')}"
        f"{_text(':' + urlencode(page.query)) if page.query else ''}</id>",
        f"<title>{_text(page.title)}</title>",
        f"<updated>{_time(updated)}</updated>",
        "<author><name>BookReader</name></author>",
        _link("self", self_href, kind),
        _link("start", f"{BASE}/", NAVIGATION, "Catalog"),
        _link("up", f"{BASE}/", NAVIGATION, "Catalog") if page.path else "",
        _link("search", f"{BASE}/opensearch.xml", OPENSEARCH, "Search"),
    ]
    if paginated:
        parts += [
            f"<opensearch:totalResults>{page.total}</opensearch:totalResults>",
            f"<opensearch:itemsPerPage>{page.per_page}</opensearch:itemsPerPage>",
            f"<opensearch:startIndex>{(page.number - 1) * page.per_page + 1}</opensearch:startIndex>",
            _link("first", page_href(page, 1), kind),
            _link("last", page_href(page, page.last), kind),
        ]
        if page.number > 1:
            parts.append(_link("prev", page_href(page, min(page.number - 1, page.last)), kind))
        if page.number < page.last:
            parts.append(_link("next", page_href(page, page.number + 1), kind))
    return parts


def navigation_feed(
    page: Page, items: Iterable[NavItem], updated: datetime, *, paginated: bool = False
) -> str:
    parts = _feed_head(page, NAVIGATION, updated, paginated=paginated)
    stamp = _time(updated)
    for item in items:
        kind = NAVIGATION if item.kind == "navigation" else ACQUISITION
        count = (
            f' thr:count="{item.count}" xmlns:thr="http://purl.org/syndication/thread/1.0"'
            if item.count
            else ""
        )
        parts += [
            "<entry>",
            f"<title>{_text(item.title)}</title>",
            f"<id>urn:bookreader:opds:{_text(item.key)}</id>",
            f"<updated>{stamp}</updated>",
            f'<content type="text">{_text(item.summary or item.title)}</content>',
            _link("subsection", f"{BASE}/{item.href}", kind, item.title, count),
            "</entry>",
        ]
    parts.append("</feed>")
    return "".join(parts)


def book_entry(book: BookEntry) -> list[str]:
    parts = [
        "<entry>",
        f"<title>{_text(book.title)}</title>",
        f"<id>urn:uuid:{book.id}</id>",
        f"<updated>{_time(book.updated_at)}</updated>",
        f"<published>{_time(book.created_at)}</published>",
    ]
    parts += [f"<author><name>{_text(name)}</name></author>" for name in book.authors]
    if book.language:
        parts.append(f"<dc:language>{_text(book.language)}</dc:language>")
    if book.publisher:
        parts.append(f"<dc:publisher>{_text(book.publisher)}</dc:publisher>")
    if book.year:
        parts.append(f"<dc:issued>{book.year}</dc:issued>")
    for subject in book.subjects[:20]:
        parts.append(f"<category term={_attr(subject)} label={_attr(subject)}/>")
    if book.series:
        label = f"{book.series} #{book.series_index:g}" if book.series_index is not None else book.series
        parts.append(
            f'<category scheme="https://schema.org/isPartOf" term={_attr(book.series)} label={_attr(label)}/>'
        )
        href = f"{BASE}/in-series?{urlencode({'name': book.series})}"
        parts.append(_link("related", href, ACQUISITION, f"Series: {label}"))
    if book.summary:
        parts.append(f'<summary type="text">{_text(book.summary)}</summary>')
    media = MEDIA_TYPES.get(book.format, "application/octet-stream")
    parts.append(_link("http://opds-spec.org/acquisition", f"{FILES}/{book.id}/file", media, "Original file",
                       f' length="{book.file_size}"' if book.file_size else ""))  # fmt: skip
    if book.export_ready:
        parts.append(_link("http://opds-spec.org/acquisition", f"{FILES}/{book.id}/export.epub", EXPORT_MEDIA_TYPE,
                           "Illustrated EPUB"))  # fmt: skip
    if book.has_cover:
        parts.append(_link("http://opds-spec.org/image", f"{FILES}/{book.id}/cover", "image/jpeg"))
        parts.append(
            _link("http://opds-spec.org/image/thumbnail", f"{FILES}/{book.id}/thumbnail", "image/jpeg")
        )
    parts.append("</entry>")
    return parts


def acquisition_feed(page: Page, books: Iterable[BookEntry], updated: datetime) -> str:
    parts = _feed_head(page, ACQUISITION, updated, paginated=True)
    for book in books:
        parts += book_entry(book)
    parts.append("</feed>")
    return "".join(parts)


def opensearch_description() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">'
        "<ShortName>BookReader</ShortName>"
        "<Description>Search your BookReader library by title or author</Description>"
        "<InputEncoding>UTF-8</InputEncoding><OutputEncoding>UTF-8</OutputEncoding>"
        f'<Url type="{ACQUISITION}" template="{BASE}/search?q={{searchTerms}}"/>'
        f'<Url type="application/atom+xml" template="{BASE}/search?q={{searchTerms}}"/>'
        "</OpenSearchDescription>"
    )
