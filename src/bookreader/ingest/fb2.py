"""FB2 and FB2.zip → ParsedBook.

FB2 is XML, never HTML: the bytes are decoded by the encoding the XML declaration names (checked, with
UTF-8 and windows-1251 as fallbacks), then parsed by the hardened XML parser (recovering broken files).
Every main-body section is a chapter at its nesting depth; a section with subsections keeps only its own
leading content (title, epigraph, text before the first subsection), so nothing is duplicated. Text before
the first section (the book's title block) is a front-matter chapter. Notes/comments bodies become one
chapter each; note links point at the note's paragraph there.
"""

from __future__ import annotations

import re

from lxml import etree

from bookreader.ingest.assets import AssetRegistry
from bookreader.ingest.epub_meta import clean_text
from bookreader.ingest.fb2_meta import (
    binaries_of,
    decode_binary,
    fb2_metadata,
    first_child,
    href_of,
    text_of,
)
from bookreader.ingest.finalize import Links, finalize_chapters
from bookreader.ingest.limits import IngestLimits, SafeZip
from bookreader.ingest.model import IngestError, ParsedAsset, ParsedBook
from bookreader.ingest.writer import ChapterWriter
from bookreader.ingest.xmlsafe import local, parse_xml
from bookreader.ingest.xpath import ElementPaths

_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_INLINE = {
    "strong": "strong",
    "emphasis": "em",
    "strikethrough": "s",
    "sub": "sub",
    "sup": "sup",
    "code": "code",
}
_NOTES_BODIES = {"notes", "comments", "footnotes"}


def decode_fb2(data: bytes) -> bytes:
    """UTF-8 bytes without XML declaration: the declared encoding if it decodes, else UTF-8, else cp1251."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8"]
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        declared = _DECLARED.match(data[:300])
        candidates = [declared.group(1).decode("ascii")] if declared else []
        candidates += ["utf-8", "windows-1251"]
    text = None
    for encoding in candidates:
        try:
            text = data.decode(encoding)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:
        text = data.decode("utf-8", errors="replace")
    text = _DECLARATION.sub("", text.lstrip("\ufeff"), count=1)
    return text.encode("utf-8")


def _text_without_links(element: etree._Element) -> str:
    """Title text without its footnote markers ("Chapter 1[18]" -> "Chapter 1")."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and local(child.tag) != "a":
            parts.append(_text_without_links(child))
        parts.append(child.tail or "")
    return clean_text("".join(parts))


def title_text(title: etree._Element | None) -> str | None:
    """A multi-line FB2 title as one line: "Part One. The Beginning"."""
    if title is None:
        return None
    lines = [_text_without_links(line) for line in title if local(line.tag) == "p"]
    lines = lines or [_text_without_links(title)]
    joined = ""
    for line in filter(None, lines):
        if joined:
            joined += " " if joined[-1] in ".!?:;…" else ". "
        joined += line
    return joined or None


class Fb2Walker:
    def __init__(self, writer: ChapterWriter, links: Links, images: AssetRegistry, root: etree._Element):
        self.writer, self.links, self.images = writer, links, images
        self.paths = ElementPaths(root, "/FictionBook")  # crengine's XPointer paths

    # structure ---------------------------------------------------------------------------------------

    def main_body(self, body: etree._Element) -> None:
        leading = [child for child in body if local(child.tag) != "section"]
        if any(text_of(child) or local(child.tag) == "image" for child in leading):
            has_sections = any(local(child.tag) == "section" for child in body)
            title = title_text(first_child(body, "title"))
            self.writer.begin_chapter(title, 1, front_matter=has_sections, from_toc=title is not None)
        for child in body:
            if local(child.tag) == "section":
                self.section(child, 1)
            else:
                self.block(child, level=1)

    def section(self, section: etree._Element, level: int) -> None:
        title = title_text(first_child(section, "title"))
        self.writer.begin_chapter(title, level, from_toc=title is not None)
        self._anchor(section)
        for child in section:
            if local(child.tag) == "section":
                self.section(child, level + 1)
            else:
                self.block(child, level)

    def notes_body(self, body: etree._Element, default_title: str) -> None:
        self.writer.begin_chapter(title_text(first_child(body, "title")) or default_title, 1, from_toc=True)
        for child in body:
            if local(child.tag) == "section":
                self._anchor(child)
                self.writer.open_block("section", {"class": "note"})
                for part in child:
                    self.block(part, level=6, note=True)
                self.writer.close_block()
            else:  # its title too, as a section's: a heading paragraph a device's XPointer can land on
                self.block(child, level=1)

    # blocks ------------------------------------------------------------------------------------------

    def _anchor(self, element: etree._Element) -> None:
        anchor_id = element.get("id")
        if anchor_id:
            self.writer.anchor(f"#{anchor_id}")

    def _para(self, element: etree._Element, tag: str = "p", css: str | None = None) -> None:
        self._anchor(element)
        self.writer.start_para(tag, {"class": css} if css else None)
        self.inline_children(element)
        self.writer.end_para()

    def _lines(self, element: etree._Element, tag: str, css: str | None = None) -> None:
        """A title: its <p> lines in one block, separated by <br>."""
        self._anchor(element)
        self.writer.start_para(tag, {"class": css} if css else None)
        first = True
        for line in element:
            if local(line.tag) not in ("p", "subtitle"):
                continue
            if not first:
                self.writer.line_break()
            self.inline_children(line)
            first = False
        if first:
            self.inline_children(element)
        self.writer.end_para()

    def _container(self, element: etree._Element, tag: str, css: str, level: int) -> None:
        self._anchor(element)
        self.writer.open_block(tag, {"class": css})
        for child in element:
            self.block(child, level)
        self.writer.close_block()

    def block(self, element: etree._Element, level: int, note: bool = False) -> None:
        name = local(element.tag)
        self.writer.source = self.paths.path(element)
        if name == "title":
            if note:
                self._lines(element, "p", "note-title")
            else:
                self._lines(element, f"h{min(level + 1, 6)}")
        elif name == "p":
            self._para(element)
        elif name == "subtitle":
            self._para(element, "p", "subtitle")
        elif name in ("v", "text-author", "date"):
            self._para(element, "p", "verse" if name == "v" else name)
        elif name == "poem":
            self._container(element, "div", "poem", level)
        elif name == "stanza":
            self._container(element, "div", "stanza", level)
        elif name in ("epigraph", "cite", "annotation"):
            self._container(element, "blockquote", name, level)
        elif name == "image":
            self._anchor(element)
            self.writer.start_para("p", {"class": "image"})
            self.image(element)
            self.writer.end_para()
        elif name == "table":
            self._table(element)
        elif name == "section":
            self._container(element, "section", "section", level)
        elif name in ("empty-line", "binary", "description", "stylesheet"):
            return
        elif any(isinstance(child.tag, str) and local(child.tag) in ("p", "poem", "v") for child in element):
            self._container(element, "div", name, level)
        else:
            self._para(element)

    def _table(self, table: etree._Element) -> None:
        self._anchor(table)
        self.writer.open_block("table")
        for row in table:
            if local(row.tag) != "tr":
                continue
            self.writer.open_block("tr")
            for cell in row:
                cell_name = local(cell.tag)
                if cell_name not in ("td", "th"):
                    continue
                attrs = {
                    key: cell.get(key, "")
                    for key in ("colspan", "rowspan")
                    if (cell.get(key) or "").isdigit()
                }
                self.writer.source = self.paths.path(cell)
                self.writer.start_para(cell_name, attrs)
                self.inline_children(cell)
                self.writer.end_para()
            self.writer.close_block()
        self.writer.close_block()

    # inline ------------------------------------------------------------------------------------------

    def inline_children(self, element: etree._Element) -> None:
        self.writer.text(element.text)
        for child in element:
            if isinstance(child.tag, str):
                self.inline(child)
            self.writer.text(child.tail)

    def inline(self, element: etree._Element) -> None:
        name = local(element.tag)
        self._anchor(element)
        if name == "image":
            self.image(element)
            return
        if name == "a":
            href = href_of(element) or ""
            attrs: dict[str, str] = {"class": "noteref"} if element.get("type") == "note" else {}
            if href.startswith("#"):
                attrs["href"] = self.links.placeholder(href)
            elif href.lower().startswith(("http://", "https://")):
                attrs["href"] = href
            if attrs:
                self.writer.open_inline("a", attrs)
                self.inline_children(element)
                self.writer.close_inline()
                return
        tag = _INLINE.get(name)
        if tag is None:
            self.inline_children(element)  # style, unknown: keep the text, drop the tag
            return
        self.writer.open_inline(tag)
        self.inline_children(element)
        self.writer.close_inline()

    def image(self, element: etree._Element) -> None:
        href = href_of(element) or ""
        if not href.startswith("#"):
            return  # remote images are not ours to show
        url = self.images.url(href[1:])
        if url is not None:
            attrs = {"src": url}
            alt = element.get("alt") or element.get("title")
            if alt:
                attrs["alt"] = alt
            self.writer.image(attrs)


def parse_fb2(data: bytes, limits: IngestLimits, asset_base_url: str) -> ParsedBook:
    if len(data) > limits.max_xml_bytes:
        raise IngestError("zip_bomb", f"The FB2 document is {len(data)} bytes.")
    try:
        root = parse_xml(decode_fb2(data))
    except ValueError as exc:
        raise IngestError("no_content", f"The FB2 XML is unreadable: {exc}") from exc
    binaries = binaries_of(root)
    images = AssetRegistry(asset_base_url, lambda key: decode_binary(binaries, key))
    links = Links()
    writer = ChapterWriter(
        max_chars=limits.max_chapter_chars,
        min_chars=limits.min_chapter_chars,
        max_book_chars=limits.max_book_chars,
        max_chapters=limits.max_book_chapters,
    )
    walker = Fb2Walker(writer, links, images, root)
    bodies = [element for element in root.iter() if local(element.tag) == "body"]
    for index, body in enumerate(bodies):
        name = (body.get("name") or "").lower()
        if index > 0 and (name in _NOTES_BODIES or name):
            walker.notes_body(body, "Comments" if name == "comments" else "Notes")
        else:
            walker.main_body(body)
    chapters = finalize_chapters(writer.finish(), links, min_chars=limits.min_chapter_chars)
    if not any(chapter.text for chapter in chapters):
        raise IngestError("no_content", "The FB2 has no readable text.")
    meta = fb2_metadata(root, binaries)
    cover: ParsedAsset | None = meta.pop("cover")  # type: ignore[assignment]
    return ParsedBook(format="fb2", chapters=chapters, assets=images.assets, cover=cover, **meta)  # type: ignore[arg-type]


def parse_fb2_zip(data: bytes, limits: IngestLimits, asset_base_url: str) -> ParsedBook:
    archive = SafeZip(data, limits)
    entries = [name for name in archive.names() if name.lower().endswith(".fb2")]
    if not entries:
        raise IngestError("unsupported_format", "The zip holds no .fb2 file.")
    return parse_fb2(archive.read(entries[0]), limits, asset_base_url)
