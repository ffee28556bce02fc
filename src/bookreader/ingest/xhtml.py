"""Walk one (X)HTML content document into the chapter writer.

A block element without block descendants is a paragraph; a block with block children is a container
(its loose inline text is wrapped into a paragraph of its own, so no text is lost). Inline elements that
contain blocks are transparent. Source ids are not copied (our `p-<i>` ids are the only ids in the output):
they are recorded as anchors so links can point at the paragraph that holds them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from lxml import etree
from lxml import html as lxml_html

from bookreader.ingest.finalize import Links
from bookreader.ingest.sanitize import BLOCK_TAGS, INLINE_TAGS
from bookreader.ingest.writer import ChapterWriter
from bookreader.ingest.xmlsafe import local, parse_xml
from bookreader.ingest.xpath import ElementPaths

BLOCK_INPUT = BLOCK_TAGS | {
    "body", "nav", "main", "center", "hgroup", "details", "summary", "fieldset", "legend", "colgroup",
    "menu", "dir", "noscript",
}  # fmt: skip
_SKIP = {
    "head", "script", "style", "template", "iframe", "object", "embed", "form", "input", "button", "select",
    "textarea", "audio", "video", "canvas", "map", "title", "meta", "link", "base", "frameset", "frame",
    "applet", "param", "source", "track", "col", "colgroup", "rp", "noscript",
}  # fmt: skip
_INLINE_ALIASES = {"font": "span", "tt": "code", "strike": "s", "acronym": "abbr", "big": "big"}
FRONT_TYPES = {
    "cover", "titlepage", "title-page", "halftitlepage", "copyright-page", "toc", "dedication", "imprint",
    "colophon", "landmarks", "loi", "lot", "imprimatur", "other.ms-coverimage-standard",
}  # fmt: skip
_LEAF_ONLY = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "caption", "dt", "address"}
_NOTEREF = {"noteref", "doc-noteref"}
_FOOTNOTE = {"footnote", "endnote", "rearnote", "note", "doc-footnote", "doc-endnote", "doc-rearnote"}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"

SplitMarks = dict[etree._Element, tuple[str, int]]


def parse_xhtml(data: bytes) -> etree._Element | None:
    """XML first (keeps `<a id="x"/>` and `<title/>` intact); when that fails, XML recovery for a broken
    XHTML file, the HTML parser for a file that is really HTML (no XHTML namespace: `<br>` unclosed)."""
    is_xhtml = b"http://www.w3.org/1999/xhtml" in data[:4096]
    try:
        return parse_xml(data, recover=is_xhtml)
    except ValueError:
        pass
    try:
        return lxml_html.document_fromstring(
            data, parser=lxml_html.HTMLParser(no_network=True, remove_comments=True, recover=True)
        )
    except (etree.ParserError, ValueError):
        return None


def find_body(root: etree._Element) -> etree._Element:
    for element in root.iter():
        if local(element.tag) == "body":
            return element
    return root


def semantic_types(element: etree._Element) -> set[str]:
    attrib = element.attrib
    if not attrib:
        return set()
    value = f"{attrib.get(_EPUB_TYPE, '')} {attrib.get('epub:type', '')} {attrib.get('role', '')}"
    return set(value.split())


def blocks_with_block_children(body: etree._Element) -> set[etree._Element]:
    marked: set[etree._Element] = set()
    for element in body.iter():
        if local(element.tag) in BLOCK_INPUT:
            parent = element.getparent()
            while parent is not None and parent not in marked:
                marked.add(parent)
                parent = parent.getparent()
    return marked


def paragraph_of(element: etree._Element, body: etree._Element) -> etree._Element:
    """The nearest block ancestor-or-self: where a split at this anchor has to happen."""
    current: etree._Element | None = element
    while current is not None and current is not body:
        if local(current.tag) in BLOCK_INPUT:
            return current
        current = current.getparent()
    return element


class XhtmlWalker:
    def __init__(
        self,
        writer: ChapterWriter,
        links: Links,
        *,
        doc_path: str,
        image_url: Callable[[str], str | None],
        marks: SplitMarks,
        front_matter: Callable[[str], bool],
        source_path: str = "",
    ) -> None:
        self.writer = writer
        self.links = links
        self.doc_path = doc_path
        self.doc_dir = posixpath.dirname(doc_path)
        self.image_url = image_url
        self.marks = marks
        self.front_matter = front_matter
        self.has_blocks: set[etree._Element] = set()
        self.source_path = source_path  # crengine's path of this document's <body>
        self.paths: ElementPaths | None = None

    def walk_body(self, body: etree._Element) -> None:
        self.has_blocks = blocks_with_block_children(body)
        self.paths = ElementPaths(body, f"{self.source_path}/body")
        if local(body.tag) == "body":
            self._block(body, "body")
        else:
            self._children(body)
        self.writer.end_para()

    def resolve(self, href: str) -> tuple[str, str]:
        parts = urlsplit(href)
        path = unquote(parts.path)
        target = posixpath.normpath(posixpath.join(self.doc_dir, path)) if path else self.doc_path
        return target, unquote(parts.fragment)

    # walking ----------------------------------------------------------------------------------------------

    def _children(self, element: etree._Element) -> None:
        self.writer.text(element.text)
        for child in element:
            if isinstance(child.tag, str):
                self._element(child)
            self.writer.text(child.tail)

    def _element(self, element: etree._Element) -> None:
        name = local(element.tag)
        if name in _SKIP or element.get("hidden") is not None:
            return
        mark = self.marks.get(element)
        if mark is not None:
            title, level = mark
            self.writer.begin_chapter(title, level, from_toc=True, front_matter=self.front_matter(title))
        if element.attrib and semantic_types(element) & FRONT_TYPES and not self.writer.has_text():
            self.writer.mark_front_matter()  # e.g. <section epub:type="titlepage"> opening the chapter
        for attr in ("id", "name") if name == "a" else ("id",):
            anchor_id = element.get(attr)
            if anchor_id:
                self.writer.anchor(f"{self.doc_path}#{anchor_id}")
        if name == "svg":
            self._svg(element)
        elif name == "math":
            self.writer.text(element.get("alttext") or " ".join(element.itertext()))
        elif name == "switch":
            for child in element:
                if local(child.tag) == "default":
                    self._children(child)
        elif name in ("hr", "br", "img"):
            if name == "hr":
                self.writer.rule()
            elif name == "br":
                self.writer.line_break()
            else:
                self._image(element.get("src"), element.get("alt"))
            self._children(element)  # void, but a recovering parser may have nested the rest inside
        elif name in BLOCK_INPUT:
            self._block(element, name)
        else:
            self._inline(element, name)

    def _attrs(self, element: etree._Element | None, name: str) -> dict[str, str]:
        attrs: dict[str, str] = {}
        if element is None:
            return attrs
        lang = element.get(_XML_LANG) or element.get("lang")
        if lang:
            attrs["lang"] = lang
        direction = element.get("dir")
        if direction in ("rtl", "ltr", "auto"):
            attrs["dir"] = direction
        if name in ("td", "th"):
            for key in ("colspan", "rowspan"):
                value = element.get(key)
                if value and value.isdigit():
                    attrs[key] = value
        types = semantic_types(element)
        if types & _NOTEREF:
            attrs["class"] = "noteref"
        elif types & _FOOTNOTE:
            attrs["class"] = "footnote"
        return attrs

    def _block(self, element: etree._Element, name: str) -> None:
        previous = self.writer.source
        if self.paths is not None:
            self.writer.source = self.paths.path(element)
        self._block_content(element, name)
        self.writer.source = previous

    def _block_content(self, element: etree._Element, name: str) -> None:
        tag = name if name in BLOCK_TAGS else "div"
        if name == "body":
            # The document's language and direction (often on <html>) wrap its content: RTL books need it.
            attrs = {**self._attrs(element.getparent(), "html"), **self._attrs(element, name)}
            attrs = {key: value for key, value in attrs.items() if key in ("lang", "dir")}
            if attrs:
                self.writer.open_block("div", attrs)
            self._children(element)
            if attrs:
                self.writer.close_block()
        elif element in self.has_blocks:
            # A <p> or heading holding blocks is invalid HTML; as a container it must be a div.
            tag = "div" if tag in _LEAF_ONLY else tag
            self.writer.open_block(tag, self._attrs(element, name))
            self._children(element)
            self.writer.close_block()
        else:
            self.writer.start_para(tag, self._attrs(element, name))
            self._children(element)
            self.writer.end_para()

    def _inline(self, element: etree._Element, name: str) -> None:
        if element in self.has_blocks:
            self._children(element)
            return
        tag = _INLINE_ALIASES.get(name, name)
        if tag not in INLINE_TAGS:
            self._children(element)
            return
        attrs = self._attrs(element, name)
        if tag == "a":
            href = self._href(element.get("href"))
            if href is None:
                attrs = {key: value for key, value in attrs.items() if key == "class"}
                tag = "span" if attrs else ""
            else:
                attrs["href"] = href
        if not tag:
            self._children(element)
            return
        self.writer.open_inline(tag, attrs)
        self._children(element)
        self.writer.close_inline()

    def _href(self, href: str | None) -> str | None:
        if not href:
            return None
        href = href.strip()
        lowered = href.lower()
        if lowered.startswith(("http://", "https://")):
            return href
        if ":" in lowered.split("/", 1)[0]:
            return None  # mailto:, javascript:, data:, file: ...
        path, fragment = self.resolve(href)
        return self.links.placeholder(f"{path}#{fragment}")

    def _image(self, src: str | None, alt: str | None) -> None:
        if not src or ":" in src.split("/", 1)[0]:
            return  # remote or data: images are not ours to show
        path, _ = self.resolve(src)
        url = self.image_url(path)
        if url is None:
            return
        attrs = {"src": url}
        if alt:
            attrs["alt"] = alt
        self.writer.image(attrs)

    def _svg(self, element: etree._Element) -> None:
        for child in element.iter():
            if local(child.tag) == "image":
                self._image(child.get(_XLINK_HREF) or child.get("href"), None)
