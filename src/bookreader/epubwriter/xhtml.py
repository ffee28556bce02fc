"""A chapter's sanitized HTML (what the web reader shows) → the body of an EPUB 3 XHTML content document.

The HTML is parsed once with lxml; pictures are inserted after the paragraph (`id="p-<i>"`) holding the end
of their passage; links and image sources are rewritten to the package's files; what EPUB's HTML schema
refuses (obsolete elements, ids that are not XML names, unknown `dir` values…) is mended, never kept.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from urllib.parse import unquote

import lxml.html
from lxml import etree

from bookreader.epubwriter.model import ExportChapter, Figure

XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_LANG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_CHAPTER_LINK = re.compile(r"^\?chapter=(\d+)(?:#(.*))?$")
RENAMED = {"big": "span", "time": "span", "tt": "code", "center": "div", "font": "span"}
# where a <figure> may not go (phrasing content, lists, tables): it goes after the outermost such ancestor
PHRASING = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "a", "span", "em", "i", "strong", "b", "u", "s", "del",
    "ins", "sub", "sup", "small", "code", "kbd", "samp", "var", "cite", "q", "abbr", "dfn", "mark", "ruby",
    "rt", "rp", "rb", "bdi", "bdo", "caption", "dt", "th",
    "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "hgroup", "menu",  # no flow content either
}  # fmt: skip


def chapter_file(number: int) -> str:
    return f"chapter-{number:04d}.xhtml"


class ParsedChapter:
    """A chapter's tree between the two passes: ids are known for every chapter before links are mended."""

    def __init__(self, chapter: ExportChapter, body: etree._Element) -> None:
        self.chapter, self.body = chapter, body
        self.ids = {element.get("id") for element in body.iter() if element.get("id")}


def parse_chapter(chapter: ExportChapter) -> ParsedChapter:
    html = XML_INVALID.sub("", chapter.html)
    document = lxml.html.document_fromstring(f"<html><body>{html}</body></html>")
    body = document.body
    seen: set[str] = set()
    for element in list(body.iter()):
        if not isinstance(element.tag, str):  # comments, processing instructions
            element.drop_tree()
            continue
        element.tag = RENAMED.get(element.tag, element.tag)
        _mend_attributes(element, seen)
    return ParsedChapter(chapter, body)


def _mend_attributes(element: etree._Element, seen: set[str]) -> None:
    for name in list(element.attrib):
        value = element.get(name) or ""
        if name == "id":
            if not _NCNAME.match(value) or value in seen:
                del element.attrib[name]
            else:
                seen.add(value)
        elif name == "lang":
            if _LANG.match(value):
                element.set("{http://www.w3.org/XML/1998/namespace}lang", value)
            else:
                del element.attrib[name]
        elif name == "dir" and value not in ("ltr", "rtl", "auto"):
            del element.attrib[name]
        elif ":" in name or name.startswith("on"):
            del element.attrib[name]


def place_figures(parsed: ParsedChapter, figures: list[Figure], image_href: Callable[[Figure], str]) -> None:
    """Each figure goes after the block holding its passage's end (in passage order when several share one)."""
    starts = [start for start, _ in parsed.chapter.paragraphs]
    blocks = {element.get("id"): element for element in parsed.body.iter() if element.get("id")}
    anchors: dict[int, etree._Element] = {}  # block index → the last element placed after it
    for number, figure in enumerate(sorted(figures, key=lambda f: (f.end, f.start)), start=1):
        index = max(0, bisect_right(starts, max(figure.end - 1, figure.start)) - 1)
        target = blocks.get(f"p-{index}")
        element = _figure_element(figure, image_href(figure), f"figure-{parsed.chapter.number}-{number}")
        if target is None:  # a chapter without paragraph ids: pictures at its end
            parsed.body.append(element)
            continue
        after = anchors.get(index)
        if after is None:
            after = target
            while after.getparent() is not None and after.getparent().tag in PHRASING:
                after = after.getparent()
        after.addnext(element)
        anchors[index] = element


def _figure_element(figure: Figure, href: str, element_id: str) -> etree._Element:
    passage = XML_INVALID.sub("", " ".join(figure.passage.split()))
    element = etree.Element("figure", {"class": "illustration", "id": element_id})
    alt = passage if len(passage) <= 150 else passage[:147].rstrip() + "…"
    etree.SubElement(element, "img", {"src": href, "alt": alt})
    caption = etree.SubElement(element, "figcaption")
    caption.text = f"“{passage}”"
    return element


def mend_links(
    parsed: ParsedChapter, ids_by_chapter: dict[int, set[str]], asset_href: Callable[[str], str | None]
) -> None:
    """Internal links point at the chapter files; images at the package's copies (or go when they have none)."""
    for element in list(parsed.body.iter("a", "img")):
        if element.tag == "img":
            src = asset_href(unquote(element.get("src") or ""))
            if src is None:
                element.drop_tree()  # keeps its tail text
                continue
            element.set("src", src)
            element.set("alt", element.get("alt") or "")
            continue
        href = element.get("href")
        if href is None:
            continue
        target = _internal_target(href, parsed.chapter.number, ids_by_chapter)
        if href.startswith(("http://", "https://")):
            continue
        if target is None:
            del element.attrib["href"]
            element.attrib.pop("rel", None)
        else:
            element.set("href", target)
            element.attrib.pop("rel", None)


def _internal_target(href: str, number: int, ids_by_chapter: dict[int, set[str]]) -> str | None:
    match = _CHAPTER_LINK.match(href)
    if match:
        chapter, fragment = int(match.group(1)), match.group(2)
    elif href.startswith("#"):
        chapter, fragment = number, href[1:]
    else:
        return None
    if chapter not in ids_by_chapter:
        return None
    fragment = fragment if fragment and fragment in ids_by_chapter[chapter] else None
    name = "" if chapter == number and fragment else chapter_file(chapter)
    return name + (f"#{fragment}" if fragment else "")


def body_xml(parsed: ParsedChapter) -> str:
    """The children of <body>, serialized as XML (the document adds the XHTML namespace)."""
    body = parsed.body
    parts = [_escape(body.text or "")]
    parts += [etree.tostring(child, method="xml", encoding="unicode", with_tail=True) for child in body]
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(text: str) -> str:
    return _escape(XML_INVALID.sub("", text)).replace('"', "&quot;")


def escape_text(text: str) -> str:
    return _escape(XML_INVALID.sub("", text))
