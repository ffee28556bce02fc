"""Parsing untrusted XML: no DTD loading, no network, no entity expansion, lenient when broken.

An internal DTD subset that declares entities is refused outright (`xml_entities`): real books never
need one, and it is how billion-laughs and external-entity (`file:///etc/passwd`) attacks are written.
Undefined entities (`&nbsp;` in XHTML without its DTD, `&FBReaderVersion;`) are first rewritten as
characters for the HTML names and dropped otherwise, so one of them does not cost the document.
"""

from __future__ import annotations

import re
from html.entities import name2codepoint

from lxml import etree

from bookreader.ingest.model import IngestError

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)
_NAMED_REF = re.compile(rb"&([A-Za-z][A-Za-z0-9._-]*);")
_XML_NAMES = {b"amp", b"lt", b"gt", b"quot", b"apos"}


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )


def _replace_named_entities(data: bytes) -> bytes:
    def substitute(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in _XML_NAMES:
            return match.group(0)
        code = name2codepoint.get(name.decode("ascii"))
        return b"&#%d;" % code if code is not None else b""

    return _NAMED_REF.sub(substitute, data)


def parse_xml(data: bytes, *, recover: bool = True) -> etree._Element:
    """The root element of `data`, recovering what a strict parse cannot; raise ValueError if hopeless."""
    doctype = _DOCTYPE.search(data, 0, 1 << 16)
    if doctype is not None:
        if doctype.group(1) and _ENTITY_DECL.search(doctype.group(1)):
            raise IngestError(
                "xml_entities", "The XML declares entities; refused as a possible entity attack."
            )
        data = data[: doctype.start()] + data[doctype.end() :]
    # (A DOCTYPE beyond the window is left to lxml, which never expands entities here.)
    last_error: Exception | None = None
    for attempt in range(3 if recover else 2):
        if attempt == 1:
            data = _replace_named_entities(data)
        try:
            root = etree.fromstring(data, parser=_parser(attempt == 2))
        except etree.XMLSyntaxError as exc:
            last_error = exc
            continue
        if root is not None:
            return root
    raise ValueError(f"unparseable XML: {last_error}")


_LOCAL_NAMES: dict[str, str] = {}


def local(tag: object) -> str:
    """Tag name without namespace; "" for comments and processing instructions (cached: hot path)."""
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = _LOCAL_NAMES[tag] = tag.rsplit("}", 1)[-1]
    return name
