"""EPUB 2/3 → ParsedBook.

Chapters follow the spine. A spine document starts a new chapter when the TOC points at it, when it is
front matter, or when it opens with a heading; otherwise it continues the previous chapter (converters
split long chapters into several files). TOC entries pointing inside a document split it there (several
chapters per file, as in Gutenberg books); their depth is the chapter `level`.
"""

from __future__ import annotations

import posixpath
import re

from lxml import etree

from bookreader.ingest.assets import AssetRegistry, make_asset
from bookreader.ingest.epub_meta import EpubMetadata
from bookreader.ingest.finalize import Links, finalize_chapters, is_front_matter_title
from bookreader.ingest.limits import IngestLimits, SafeZip
from bookreader.ingest.model import IngestError, ParsedAsset, ParsedBook
from bookreader.ingest.opf import (
    ManifestItem,
    Package,
    TocEntry,
    nav_landmarks,
    nav_toc,
    ncx_toc,
    read_package,
    rootfile_path,
)
from bookreader.ingest.svg import looks_like_svg, rasterize_svg
from bookreader.ingest.writer import ChapterWriter
from bookreader.ingest.xhtml import (
    FRONT_TYPES,
    XhtmlWalker,
    find_body,
    paragraph_of,
    parse_xhtml,
    semantic_types,
)
from bookreader.ingest.xmlsafe import local, parse_xml
from bookreader.ingest.xpath import epub_fragment_path

_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#rc"}
_FONT_FILE = re.compile(r"\.(ttf|otf|woff2?|eot|pfb|pfm)$", re.IGNORECASE)
_HTML_TYPES = {"application/xhtml+xml", "text/html", "application/xml", "text/xml", ""}
_FRONT_NAMES = re.compile(
    r"^(cover|titlepage|title[-_]?page|title|halftitle|copyright|toc|contents|dedication|colophon|imprint|"
    r"wrap0000|pg-header|pg-footer|license|nav)(\b|[-_.\d])",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^h[1-3]$")


def check_drm(archive: SafeZip) -> None:
    """Obfuscated fonts are fine; any other encryption of a non-font resource is DRM."""
    if "META-INF/rights.xml" in archive and "META-INF/encryption.xml" not in archive:
        return
    data = archive.try_read("META-INF/encryption.xml")
    if not data:
        return
    try:
        root = parse_xml(data)
    except ValueError:
        return
    for encrypted in root.iter():
        if local(encrypted.tag) != "EncryptedData":
            continue
        algorithm = next(
            (el.get("Algorithm", "") for el in encrypted.iter() if local(el.tag) == "EncryptionMethod"), ""
        )
        uri = next((el.get("URI", "") for el in encrypted.iter() if local(el.tag) == "CipherReference"), "")
        if algorithm.lower() not in _OBFUSCATION and not _FONT_FILE.search(uri):
            raise IngestError(
                "drm_protected", f"The book is DRM-protected ({uri or 'content'} is encrypted)."
            )


def _read_toc(archive: SafeZip, package: Package) -> list[TocEntry]:
    for item, reader in ((package.nav_item, nav_toc), (package.toc_item, ncx_toc)):
        if item is None:
            continue
        data = archive.try_read(item.path)
        root = (parse_xhtml(data) if reader is nav_toc else _parse_or_none(data)) if data else None
        entries = reader(item.path, root) if root is not None else []
        if entries:
            return entries
    return []


def _start_key(archive: SafeZip, package: Package) -> str | None:
    """The anchor key where the story starts: the nav's `bodymatter` landmark, else the guide's `text`."""
    if package.nav_item is not None:
        data = archive.try_read(package.nav_item.path)
        root = parse_xhtml(data) if data else None
        target = nav_landmarks(package.nav_item.path, root).get("bodymatter") if root is not None else None
        if target is not None:
            return f"{target[0]}#{target[1]}"
    text = next((path for path, kind in package.guide.items() if kind in ("text", "start")), None)
    return f"{text}#" if text else None


def _start_chapter(key: str | None, links: Links) -> int | None:
    if key is None:
        return None
    hit = links.targets.get(key) or links.targets.get(key.split("#", 1)[0] + "#")
    return hit[0] if hit else None


def _parse_or_none(data: bytes) -> etree._Element | None:
    try:
        return parse_xml(data)
    except ValueError:
        return None


def _cover(archive: SafeZip, package: Package, meta: EpubMetadata) -> ParsedAsset | None:
    candidates = [item for item in package.manifest.values() if "cover-image" in item.properties]
    if meta.cover_id:
        by_id = package.manifest.get(meta.cover_id)
        if by_id is not None:
            candidates.append(by_id)
        else:  # some producers put the href there
            candidates += [item for item in package.manifest.values() if item.path.endswith(meta.cover_id)]
    for item in candidates:
        asset = _cover_asset(archive.try_read(item.path))
        if asset is not None:
            return asset
    pages = [
        path for path, kind in package.guide.items() if kind in ("cover", "other.ms-coverimage-standard")
    ]
    for page in pages:
        image = _first_image_of(archive, page)
        if image is not None:
            return image
    return None


def _cover_asset(data: bytes | None) -> ParsedAsset | None:
    """A raster cover as it is; an SVG one sanitized and rasterised to PNG (ingest/svg.py)."""
    asset = make_asset("cover", data)
    if asset is None and data and looks_like_svg(data):
        asset = make_asset("cover", rasterize_svg(data))
    return asset


def _first_image_of(archive: SafeZip, page: str) -> ParsedAsset | None:
    if page.lower().endswith((".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg")):
        return _cover_asset(archive.try_read(page))
    data = archive.try_read(page)
    root = parse_xhtml(data) if data else None
    if root is None:
        return None
    for element in root.iter():
        name = local(element.tag)
        src = element.get("src") if name == "img" else None
        if name == "image":
            src = element.get("{http://www.w3.org/1999/xlink}href") or element.get("href")
        if src:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), src.split("#")[0]))
            return _cover_asset(archive.try_read(target))
    return None


def _starts_with_heading(body: etree._Element) -> bool:
    for element in body.iter():
        if isinstance(element.tag, str) and (element.text or "").strip():
            node: etree._Element | None = element
            while node is not None and node is not body:
                if _HEADING.match(local(node.tag)):
                    return True
                node = node.getparent()
            return False
    return False


def _is_front_document(item_id: str, path: str, package: Package, body: etree._Element) -> bool:
    if package.guide.get(path) in FRONT_TYPES:
        return True
    item = package.manifest.get(item_id)
    if item is not None and "nav" in item.properties:
        return True
    types = semantic_types(body)
    for child in body[:2]:
        if isinstance(child.tag, str):
            types |= semantic_types(child)
    if types & FRONT_TYPES:
        return True
    return bool(_FRONT_NAMES.match(posixpath.basename(path)) or _FRONT_NAMES.match(item_id))


def _open_package(data: bytes, limits: IngestLimits) -> tuple[SafeZip, Package]:
    """The archive (DRM refused) and its package document, or `unsupported_format`."""
    archive = SafeZip(data, limits)
    check_drm(archive)
    container_data = archive.try_read("META-INF/container.xml")
    container = None
    if container_data:
        try:
            container = parse_xml(container_data)
        except ValueError:
            container = None
    opf_path = rootfile_path(container, archive.names())
    opf_data = archive.try_read(opf_path) if opf_path else None
    if not opf_path or not opf_data:
        raise IngestError("unsupported_format", "The EPUB has no package document (OPF).")
    try:
        return archive, read_package(opf_path, parse_xml(opf_data))
    except ValueError as exc:
        raise IngestError("unsupported_format", f"The package document is unreadable: {exc}") from exc


class _SpineReader:
    """Writes the spine's documents, one at a time, into chapters (see the module docstring)."""

    def __init__(
        self,
        archive: SafeZip,
        package: Package,
        limits: IngestLimits,
        asset_base_url: str,
    ) -> None:
        self.archive, self.package = archive, package
        self.images = AssetRegistry(asset_base_url, archive.try_read)
        self.links = Links()
        self.writer = ChapterWriter(
            max_chars=limits.max_chapter_chars,
            min_chars=limits.min_chapter_chars,
            max_book_chars=limits.max_book_chars,
            max_chapters=limits.max_book_chapters,
        )
        toc = _read_toc(archive, package)
        spine_paths = {item.path for item in package.spine}
        self.toc_by_path: dict[str, list[TocEntry]] = {}
        for entry in toc:
            if entry.path in spine_paths or entry.path in archive:
                self.toc_by_path.setdefault(entry.path, []).append(entry)
        self.has_toc = len(toc) > 1

    def read_all(self) -> None:
        for spine_index, item in enumerate(self.package.spine, start=1):
            self.read_item(item, epub_fragment_path(spine_index, len(self.package.spine)))

    def read_item(self, item: ManifestItem, fragment: str) -> None:
        writer = self.writer
        writer.source = fragment
        if item.media_type.startswith("image/"):
            writer.begin_chapter(None, 1, front_matter=True)
            url = self.images.url(item.path)
            if url:
                writer.image({"src": url})
            return
        if item.media_type not in _HTML_TYPES:
            return
        raw = self.archive.try_read(item.path)
        root = parse_xhtml(raw) if raw else None
        if root is None:
            return
        body = find_body(root)
        entries = self.toc_by_path.get(item.path, [])
        front = _is_front_document(item.id, item.path, self.package, body)
        file_entry, marks = _toc_marks(body, entries)
        if (
            file_entry is not None
            or front
            or not self.has_toc
            or _starts_with_heading(body)
            or not writer.chapters
        ):
            title = file_entry.title if file_entry else None
            level = file_entry.level if file_entry else (entries[0].level if entries else 1)
            writer.begin_chapter(title, level, front_matter=front, from_toc=file_entry is not None)
        writer.anchor(f"{item.path}#")
        walker = XhtmlWalker(
            writer,
            self.links,
            doc_path=item.path,
            image_url=self.images.url,
            marks=marks,
            front_matter=(lambda title: True) if front else is_front_matter_title,
            source_path=fragment,
        )
        walker.walk_body(body)


def _toc_marks(
    body: etree._Element, entries: list[TocEntry]
) -> tuple[TocEntry | None, dict[etree._Element, tuple[str, int]]]:
    """The TOC entry naming the whole document (if any), and the paragraphs TOC anchors start chapters at."""
    file_entry = next((entry for entry in entries if not entry.fragment), None)
    ids = (
        {element.get("id"): element for element in body.iter() if element.get("id")}
        if any(entry.fragment for entry in entries)
        else {}
    )
    marks: dict[etree._Element, tuple[str, int]] = {}
    for entry in entries:
        target = ids.get(entry.fragment) if entry.fragment else None
        if target is None:
            file_entry = file_entry or entry  # an anchor pointing nowhere still names the file
            continue
        marks.setdefault(paragraph_of(target, body), (entry.title, entry.level))
    return file_entry, marks


def parse_epub(data: bytes, limits: IngestLimits, asset_base_url: str) -> ParsedBook:
    archive, package = _open_package(data, limits)
    meta = EpubMetadata(package.root)
    spine = _SpineReader(archive, package, limits, asset_base_url)
    spine.read_all()
    images = spine.images
    chapters = finalize_chapters(spine.writer.finish(), spine.links, min_chars=limits.min_chapter_chars)
    if not any(chapter.text for chapter in chapters) and not images.assets:
        raise IngestError("no_content", "The EPUB has neither text nor images.")
    start_chapter = _start_chapter(_start_key(archive, package), spine.links)
    cover = _cover(archive, package, meta)
    if cover is None and images.assets:
        first = images.assets[0]
        cover = make_asset("cover", first.data)
    return ParsedBook(
        format="epub",
        title=meta.title,
        authors=meta.authors,
        language=meta.language,
        chapters=chapters,
        assets=images.assets,
        cover=cover,
        series=meta.series,
        series_index=meta.series_index,
        annotation=meta.annotation,
        publisher=meta.publisher,
        year=meta.year,
        identifiers=meta.identifiers,
        subjects=meta.subjects,
        start_chapter=start_chapter,
    )
