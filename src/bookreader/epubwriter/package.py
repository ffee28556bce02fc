"""The package documents of the EPUB: container.xml, the OPF, the navigation document (nested TOC and
landmarks) and an NCX for EPUB 2 reading systems."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookreader.epubwriter.model import ExportMetadata
from bookreader.epubwriter.xhtml import escape_attribute as attr
from bookreader.epubwriter.xhtml import escape_text as text

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""
STYLE = """body { margin: 0 5%; line-height: 1.5; }
figure.illustration { margin: 1.5em 0; text-align: center; page-break-inside: avoid; }
figure.illustration img { max-width: 100%; max-height: 90vh; height: auto; }
figure.illustration figcaption { font-size: 0.85em; font-style: italic; margin-top: 0.4em; }
section.cast-member { margin-bottom: 1.5em; }
p.cast-portrait img { width: 8em; max-width: 40%; height: auto; }
"""


@dataclass
class ManifestItem:
    id: str
    href: str
    media_type: str
    properties: str = ""
    in_spine: bool = False


@dataclass
class TocEntry:
    title: str
    href: str
    level: int
    children: list[TocEntry] = field(default_factory=list)


def language_of(metadata: ExportMetadata) -> str:
    return metadata.language or "und"


def nest(entries: list[TocEntry]) -> list[TocEntry]:
    """Flat entries with levels → a tree; a level may deepen by one step at a time (a jump is clamped)."""
    roots: list[TocEntry] = []
    stack: list[TocEntry] = []
    for entry in entries:
        level = max(1, min(entry.level, len(stack) + 1))
        del stack[level - 1 :]
        node = TocEntry(entry.title, entry.href, level)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _nav_list(nodes: list[TocEntry]) -> str:
    items = []
    for node in nodes:
        inner = f'<a href="{attr(node.href)}">{text(node.title) or "Untitled"}</a>'
        if node.children:
            inner += _nav_list(node.children)
        items.append(f"<li>{inner}</li>")
    return "<ol>" + "".join(items) + "</ol>"


def nav_document(metadata: ExportMetadata, toc: list[TocEntry], landmarks: list[tuple[str, str, str]]) -> str:
    """`landmarks`: (epub:type, href, title)."""
    lang = attr(language_of(metadata))
    marks = "".join(
        f'<li><a epub:type="{kind}" href="{attr(href)}">{text(title)}</a></li>'
        for kind, href, title in landmarks
    )
    landmark_nav = f'<nav epub:type="landmarks" hidden="hidden"><ol>{marks}</ol></nav>' if marks else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="{lang}" '
        f'xml:lang="{lang}"><head><meta charset="utf-8"/><title>{text(metadata.title)}</title></head><body>'
        f'<nav epub:type="toc" id="toc"><h1>Contents</h1>{_nav_list(nest(toc))}</nav>{landmark_nav}'
        "</body></html>\n"
    )


def ncx_document(metadata: ExportMetadata, toc: list[TocEntry]) -> str:
    order = 0

    def points(nodes: list[TocEntry]) -> str:
        nonlocal order
        out = []
        for node in nodes:
            order += 1
            out.append(
                f'<navPoint id="nav-{order}" playOrder="{order}"><navLabel><text>{text(node.title) or "Untitled"}'
                f'</text></navLabel><content src="{attr(node.href)}"/>{points(node.children)}</navPoint>'
            )
        return "".join(out)

    tree = nest(toc)
    depth = _depth(tree)
    body = points(tree)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">'
        f'<head><meta name="dtb:uid" content="{attr(metadata.identifier)}"/><meta name="dtb:depth" '
        f'content="{depth}"/><meta name="dtb:totalPageCount" content="0"/><meta name="dtb:maxPageNumber" '
        f'content="0"/></head><docTitle><text>{text(metadata.title)}</text></docTitle><navMap>{body}</navMap></ncx>\n'
    )


def _depth(nodes: list[TocEntry]) -> int:
    return 1 + max((_depth(node.children) for node in nodes if node.children), default=0) if nodes else 1


def _identifiers(metadata: ExportMetadata) -> list[str]:
    values = []
    for kind, value in sorted(metadata.identifiers.items()):
        if kind in ("isbn", "uuid"):
            value = f"urn:{kind}:{value}"
        elif kind not in ("uri", "id", "url"):
            value = f"urn:{kind}:{value}" if ":" not in value else value
        if value and value != metadata.identifier and value not in values:
            values.append(value)
    return values


def _metadata_xml(metadata: ExportMetadata, cover_id: str | None) -> str:
    out = [
        f'<dc:identifier id="book-id">{text(metadata.identifier)}</dc:identifier>',
        *(f"<dc:identifier>{text(value)}</dc:identifier>" for value in _identifiers(metadata)),
        f"<dc:title>{text(metadata.title) or 'Untitled'}</dc:title>",
        f"<dc:language>{text(language_of(metadata))}</dc:language>",
        f'<meta property="dcterms:modified">{metadata.modified}</meta>',
    ]
    for number, author in enumerate(metadata.authors, start=1):
        out.append(f'<dc:creator id="creator-{number}">{text(author)}</dc:creator>')
        out.append(f'<meta refines="#creator-{number}" property="role" scheme="marc:relators">aut</meta>')
    if metadata.publisher:
        out.append(f"<dc:publisher>{text(metadata.publisher)}</dc:publisher>")
    if metadata.year:
        out.append(f"<dc:date>{metadata.year:04d}</dc:date>")
    if metadata.description:
        out.append(f"<dc:description>{text(metadata.description)}</dc:description>")
    out += [f"<dc:subject>{text(subject)}</dc:subject>" for subject in metadata.subjects]
    if metadata.series:
        out.append(f'<meta property="belongs-to-collection" id="series">{text(metadata.series)}</meta>')
        out.append('<meta refines="#series" property="collection-type">series</meta>')
        out.append(f'<meta name="calibre:series" content="{attr(metadata.series)}"/>')
        if metadata.series_index is not None:
            index = f"{metadata.series_index:g}"
            out.append(f'<meta refines="#series" property="group-position">{index}</meta>')
            out.append(f'<meta name="calibre:series_index" content="{index}"/>')
    if cover_id:
        out.append(f'<meta name="cover" content="{cover_id}"/>')
    return "".join(out)


def opf_document(
    metadata: ExportMetadata, manifest: list[ManifestItem], start_href: str | None, cover_id: str | None
) -> str:
    lang = attr(language_of(metadata))
    items = "".join(
        f'<item id="{item.id}" href="{attr(item.href)}" media-type="{item.media_type}"'
        + (f' properties="{item.properties}"' if item.properties else "")
        + "/>"
        for item in manifest
    )
    spine = "".join(f'<itemref idref="{item.id}"/>' for item in manifest if item.in_spine)
    guide = (
        f'<guide><reference type="text" title="Start" href="{attr(start_href)}"/></guide>'
        if start_href
        else ""
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="{lang}">'
        f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">{_metadata_xml(metadata, cover_id)}</metadata>'
        f'<manifest>{items}</manifest><spine toc="ncx">{spine}</spine>{guide}</package>\n'
    )


def content_document(title: str, language: str, body: str) -> str:
    lang = attr(language)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="{lang}" '
        f'xml:lang="{lang}"><head><meta charset="utf-8"/><title>{text(title) or "Untitled"}</title>'
        f'<link rel="stylesheet" type="text/css" href="../style.css"/></head><body>{body}</body></html>\n'
    )
