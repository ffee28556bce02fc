"""Book metadata from an FB2 `<description>` (title-info, publish-info, document-info) and its cover —
the twin of epub_meta.py; the element helpers here are shared with the FB2 body walker (fb2.py)."""

from __future__ import annotations

import base64
import binascii
import re

from lxml import etree

from bookreader.ingest.assets import make_asset
from bookreader.ingest.epub_meta import clean_text
from bookreader.ingest.xmlsafe import local
from bookreader.language import normalize_language

_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")


def href_of(element: etree._Element) -> str | None:
    for key, value in element.attrib.items():
        if key == "href" or key.endswith("}href") or key.endswith(":href"):
            return str(value).strip()
    return None


def first_child(element: etree._Element | None, name: str) -> etree._Element | None:
    return (
        next((child for child in element if local(child.tag) == name), None) if element is not None else None
    )


def children_named(element: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if element is None else [child for child in element if local(child.tag) == name]


def text_of(element: etree._Element | None) -> str:
    return "" if element is None else clean_text("".join(element.itertext()))


def binaries_of(root: etree._Element) -> dict[str, str]:
    return {el.get("id", ""): el.text or "" for el in root if local(el.tag) == "binary" and el.get("id")}


def decode_binary(binaries: dict[str, str], key: str) -> bytes | None:
    encoded = binaries.get(key)
    if not encoded:
        return None
    try:
        return base64.b64decode("".join(encoded.split()), validate=False)
    except (binascii.Error, ValueError):
        return None


def _author(element: etree._Element) -> str:
    parts = [text_of(first_child(element, part)) for part in ("first-name", "middle-name", "last-name")]
    name = " ".join(part for part in parts if part)
    return name or text_of(first_child(element, "nickname"))


def _annotation(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    paragraphs = [text_of(child) for child in element.iter() if local(child.tag) in ("p", "v", "subtitle")]
    text = "\n\n".join(part for part in paragraphs if part) or text_of(element)
    return text or None


def fb2_metadata(root: etree._Element, binaries: dict[str, str]) -> dict[str, object]:
    description = first_child(root, "description")
    info = first_child(description, "title-info")
    publish = first_child(description, "publish-info")
    document = first_child(description, "document-info")
    meta: dict[str, object] = {
        "title": text_of(first_child(info, "book-title")),
        "authors": [name for name in (_author(el) for el in children_named(info, "author")) if name],
        "language": normalize_language(text_of(first_child(info, "lang"))),
        "subjects": [text for text in (text_of(el) for el in children_named(info, "genre")) if text],
        "annotation": _annotation(first_child(info, "annotation")),
        "publisher": text_of(first_child(publish, "publisher")) or None,
    }
    identifiers: dict[str, str] = {}
    isbn = text_of(first_child(publish, "isbn"))
    digits = re.sub(r"[^0-9Xx]", "", isbn)
    if len(digits) in (10, 13):
        identifiers["isbn"] = digits
    if text_of(first_child(document, "id")):
        identifiers["fb2"] = text_of(first_child(document, "id"))
    meta["identifiers"] = identifiers
    for source in (first_child(info, "sequence"), first_child(publish, "sequence")):
        if source is not None and source.get("name"):
            meta["series"] = clean_text(source.get("name"))
            try:
                meta["series_index"] = float(source.get("number") or "")
            except ValueError:
                meta["series_index"] = None
            break
    for date in (first_child(publish, "year"), first_child(info, "date")):
        match = _YEAR.search(f"{date.get('value', '')} {text_of(date)}") if date is not None else None
        if match:
            meta["year"] = int(match.group(1))
            break
    cover = None
    for image in children_named(first_child(info, "coverpage"), "image"):
        href = href_of(image) or ""
        cover = make_asset("cover", decode_binary(binaries, href.lstrip("#")))
        if cover is not None:
            break
    meta["cover"] = cover
    return meta
