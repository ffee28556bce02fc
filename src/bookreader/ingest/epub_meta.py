"""Book metadata from an OPF package (Dublin Core, EPUB 3 refinements, calibre series metas)."""

from __future__ import annotations

import re
from html import unescape

from lxml import etree
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from bookreader.ingest.xmlsafe import local
from bookreader.language import normalize_language

_OPF_NS = "{http://www.idpf.org/2007/opf}"
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_ISBN = re.compile(r"^(?:urn:isbn:|isbn:?\s*)?([0-9][0-9 -]{8,16}[0-9Xx])$", re.IGNORECASE)


def clean_text(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


def strip_markup(value: str) -> str:
    """Descriptions often carry escaped HTML: parsed as HTML (selectolax), paragraphs and line breaks become
    blank lines, tags go, entities are decoded."""
    if "<" not in value:
        text = unescape(value)
    else:
        tree = HTMLParser(value)
        for node in tree.css("br, p"):
            node.insert_after("\n\n")
        text = tree.body.text(separator="") if tree.body is not None else ""
    paragraphs = [clean_text(part) for part in text.split("\n\n")]
    return "\n\n".join(part for part in paragraphs if part)


class EpubMetadata:
    def __init__(self, package_root: etree._Element) -> None:
        self.title = ""
        self.authors: list[str] = []
        self.language: str | None = None
        self.publisher: str | None = None
        self.year: int | None = None
        self.annotation: str | None = None
        self.identifiers: dict[str, str] = {}
        self.subjects: list[str] = []
        self.series: str | None = None
        self.series_index: float | None = None
        self.cover_id: str | None = None
        self._read(package_root)

    def _read(self, root: etree._Element) -> None:
        metadata = next((el for el in root.iter() if local(el.tag) == "metadata"), None)
        if metadata is None:
            return
        refines: dict[str, dict[str, str]] = {}
        for element in metadata.iter():
            if local(element.tag) == "meta" and element.get("refines") and element.get("property"):
                target = element.get("refines", "").lstrip("#")
                refines.setdefault(target, {})[element.get("property", "")] = clean_text(element.text)
        dates: list[str] = []
        for element in metadata.iter():
            name = local(element.tag)
            text = clean_text(element.text)
            if name == "title" and text and not self.title:
                self.title = text
            elif name == "creator" and text:
                role = element.get(f"{_OPF_NS}role") or element.get("role")
                role = role or refines.get(element.get("id", ""), {}).get("role")
                if role in (None, "", "aut") and text not in self.authors:
                    self.authors.append(text)
            elif name == "language" and text and self.language is None:
                self.language = normalize_language(text)
            elif name == "publisher" and text and self.publisher is None:
                self.publisher = text
            elif name == "date" and text:
                event = element.get(f"{_OPF_NS}event") or ""
                dates.insert(0, text) if event in ("publication", "original-publication") else dates.append(
                    text
                )
            elif name == "description" and text and self.annotation is None:
                self.annotation = strip_markup(element.text or "") or None
            elif name == "subject" and text and text not in self.subjects:
                self.subjects.append(text)
            elif name == "identifier" and text:
                self._identifier(element, text, refines)
            elif name == "meta":
                self._meta(element, text, refines)
        for date in dates:
            match = _YEAR.search(date)
            if match:
                self.year = int(match.group(1))
                break

    def _identifier(self, element: etree._Element, text: str, refines: dict[str, dict[str, str]]) -> None:
        scheme = (element.get(f"{_OPF_NS}scheme") or element.get("scheme") or "").lower()
        scheme = scheme or refines.get(element.get("id", ""), {}).get("identifier-type", "").lower()
        isbn = _ISBN.match(text)
        if (scheme in ("isbn", "15") or text.lower().startswith("urn:isbn:")) and isbn:
            self.identifiers.setdefault("isbn", re.sub(r"[ -]", "", isbn.group(1)))
        elif text.lower().startswith("urn:uuid:") or scheme == "uuid":
            self.identifiers.setdefault("uuid", text.split(":")[-1])
        elif text.lower().startswith("urn:") and text.count(":") >= 2:
            _, kind, value = text.split(":", 2)
            self.identifiers.setdefault(kind.lower(), value)
        else:
            self.identifiers.setdefault(scheme or ("uri" if "://" in text else "id"), text)

    def _meta(self, element: etree._Element, text: str, refines: dict[str, dict[str, str]]) -> None:
        name, content = element.get("name"), element.get("content")
        if name == "cover" and content:
            self.cover_id = content
        elif name == "calibre:series" and content:
            self.series = content
        elif name == "calibre:series_index" and content:
            self.series_index = _number(content)
        elif element.get("property") == "belongs-to-collection" and text and self.series is None:
            refined = refines.get(element.get("id", ""), {})
            if refined.get("collection-type", "series") == "series":
                self.series = text
                self.series_index = _number(refined.get("group-position", ""))


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None
