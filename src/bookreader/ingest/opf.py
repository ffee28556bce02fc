"""EPUB package reading: container.xml, the OPF (metadata, manifest, spine, guide) and the TOC.

Everything here is lenient: a dangling manifest item, a TOC entry pointing nowhere or a missing nav are
skipped, never fatal. Hrefs are resolved against the file that contains them and percent-decoded, so
they can be compared with zip entry names.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

import msgspec
from lxml import etree

from bookreader.ingest.xmlsafe import local


class ManifestItem(msgspec.Struct):
    id: str
    path: str
    media_type: str
    properties: set[str] = msgspec.field(default_factory=set)


class TocEntry(msgspec.Struct):
    title: str
    level: int
    path: str
    fragment: str


class Package(msgspec.Struct):
    path: str
    root: etree._Element
    manifest: dict[str, ManifestItem]
    spine: list[ManifestItem]
    guide: dict[str, str]  # path -> reference type
    toc_item: ManifestItem | None = None
    nav_item: ManifestItem | None = None


def resolve_href(base_path: str, href: str) -> tuple[str, str]:
    parts = urlsplit(href.strip())
    path = unquote(parts.path)
    if not path:
        return base_path, unquote(parts.fragment)
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_path), path)), unquote(parts.fragment)


def rootfile_path(container: etree._Element | None, names: list[str]) -> str | None:
    if container is not None:
        for element in container.iter():
            if local(element.tag) == "rootfile" and element.get("full-path"):
                media_type = element.get("media-type", "application/oebps-package+xml")
                if media_type == "application/oebps-package+xml":
                    return unquote(element.get("full-path", ""))
    opfs = sorted((name for name in names if name.lower().endswith(".opf")), key=len)
    return opfs[0] if opfs else None


def read_package(path: str, root: etree._Element) -> Package:
    manifest: dict[str, ManifestItem] = {}
    spine: list[ManifestItem] = []
    guide: dict[str, str] = {}
    toc_id = None
    for element in root.iter():
        name = local(element.tag)
        if name == "item" and element.get("href") and element.get("id"):
            item_path, _ = resolve_href(path, element.get("href", ""))
            manifest[element.get("id", "")] = ManifestItem(
                id=element.get("id", ""),
                path=item_path,
                media_type=(element.get("media-type") or "").lower(),
                properties=set((element.get("properties") or "").split()),
            )
        elif name == "spine":
            toc_id = element.get("toc")
        elif name == "reference" and element.get("href"):
            ref_path, _ = resolve_href(path, element.get("href", ""))
            guide.setdefault(ref_path, (element.get("type") or "").lower())
    for element in root.iter():
        if local(element.tag) == "itemref":
            item = manifest.get(element.get("idref", ""))
            if item is not None and item not in spine:
                spine.append(item)
    nav_item = next((item for item in manifest.values() if "nav" in item.properties), None)
    toc_item = manifest.get(toc_id or "") or next(
        (item for item in manifest.values() if item.media_type == "application/x-dtbncx+xml"), None
    )
    return Package(path, root, manifest, spine, guide, toc_item, nav_item)


def _label(element: etree._Element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def nav_toc(nav_path: str, root: etree._Element) -> list[TocEntry]:
    """Entries of the EPUB 3 `<nav epub:type="toc">` (the first nav when none is typed)."""
    navs = [element for element in root.iter() if local(element.tag) == "nav"]
    typed = [nav for nav in navs if "toc" in " ".join(str(value) for value in nav.attrib.values()).split()]
    chosen = (typed or navs)[:1]
    entries: list[TocEntry] = []

    def visit(ol: etree._Element, level: int) -> None:
        for li in ol:
            if local(li.tag) != "li":
                continue
            for child in li:
                name = local(child.tag)
                if name == "a" and child.get("href"):
                    target, fragment = resolve_href(nav_path, child.get("href", ""))
                    entries.append(TocEntry(_label(child), level, target, fragment))
                elif name == "ol":
                    visit(child, level + 1)

    for nav in chosen:
        for element in nav.iter():
            if local(element.tag) == "ol":
                visit(element, 1)
                break
    return entries


def ncx_toc(ncx_path: str, root: etree._Element) -> list[TocEntry]:
    entries: list[TocEntry] = []

    def visit(parent: etree._Element, level: int) -> None:
        for point in parent:
            if local(point.tag) != "navPoint":
                continue
            title, src = "", None
            for child in point:
                name = local(child.tag)
                if name == "navLabel":
                    title = _label(child)
                elif name == "content":
                    src = child.get("src")
            if src:
                target, fragment = resolve_href(ncx_path, src)
                entries.append(TocEntry(title, level, target, fragment))
            visit(point, level + 1)

    for element in root.iter():
        if local(element.tag) == "navMap":
            visit(element, 1)
            break
    return entries


def nav_landmarks(nav_path: str, root: etree._Element) -> dict[str, tuple[str, str]]:
    """EPUB 3 `<nav epub:type="landmarks">`: landmark type (e.g. "bodymatter") → (path, fragment)."""
    found: dict[str, tuple[str, str]] = {}
    for nav in root.iter():
        if local(nav.tag) != "nav" or "landmarks" not in _types(nav):
            continue
        for link in nav.iter():
            if local(link.tag) == "a" and link.get("href"):
                for kind in _types(link):
                    found.setdefault(kind, resolve_href(nav_path, link.get("href", "")))
    return found


def _types(element: etree._Element) -> set[str]:
    return set(" ".join(str(v) for k, v in element.attrib.items() if str(k).endswith("type")).split())
