"""SVG covers (EPUB 3 allows them; Standard Ebooks ships one) rasterised safely to PNG.

An SVG is a program as much as a picture: it may carry script, event handlers, `<foreignObject>` HTML,
references to other files or URLs, entity bombs and absurd dimensions. Before rendering, the document is
parsed by the safe XML parser (no DTD, no entities, no network) and rebuilt without any of that: scripts,
foreign objects and event attributes go; a reference is kept only when it points inside the document (`#id`)
or is an inline raster image (`data:image/png|jpeg|gif|webp;base64,…`); CSS that could load something
(`@import`, `url(` other than `url(#…)`) goes. The render (resvg, a Rust renderer without script support,
from its wheel) is bounded to `max_side` pixels on the longest side whatever the SVG declares.
"""

from __future__ import annotations

import re

import resvg_py
from lxml import etree

from bookreader.ingest.model import IngestError
from bookreader.ingest.xmlsafe import local, parse_xml

MAX_SIDE = 1600
MAX_SVG_BYTES = 8 * 1024 * 1024
DEFAULT_SIZE = (1000.0, 1500.0)  # a cover's usual 2:3 when the SVG says nothing usable
_DROPPED = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video", "handler", "listener"}
_NOT_DRAWN = {"title", "desc", "metadata", "defs", "style"}
_SAFE_DATA = re.compile(r"^\s*data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)
_UNSAFE_CSS = re.compile(r"@import|url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(px|pt|mm|cm|in)?\s*$")
_UNIT_PX = {None: 1.0, "px": 1.0, "pt": 4 / 3, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


def looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data[:65536].lower()


def sanitize_svg(data: bytes) -> etree._Element | None:
    """The SVG without anything that runs or reaches outside it; None when it is no SVG or draws nothing."""
    if len(data) > MAX_SVG_BYTES:
        return None
    try:
        root = parse_xml(data)
    except (ValueError, IngestError):  # an entity bomb in the cover loses the cover, not the book
        return None
    if local(root.tag) != "svg":
        return None
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        name = local(element.tag)
        if name in _DROPPED or (name == "style" and _UNSAFE_CSS.search(element.text or "")):
            _remove(element)
            continue
        for attribute in list(element.attrib):
            value = element.get(attribute) or ""
            key = local(attribute).lower()
            if key.startswith("on") or (key == "style" and _UNSAFE_CSS.search(value)):
                del element.attrib[attribute]
            elif key in ("href", "src") and not (value.strip().startswith("#") or _SAFE_DATA.match(value)):
                del element.attrib[attribute]
                if name in ("image", "use", "feImage"):
                    _remove(element)
                    break
    drawn = any(isinstance(e.tag, str) and local(e.tag) not in _NOT_DRAWN for e in root.iterdescendants())
    return root if drawn else None  # an empty (or emptied) drawing is no cover


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _length(value: str | None) -> float | None:
    match = _LENGTH.match(value or "")
    if not match:
        return None
    number = float(match.group(1)) * _UNIT_PX[match.group(2)]
    return number if number > 0 else None


def intrinsic_size(root: etree._Element) -> tuple[float, float]:
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = [_length(part) for part in re.split(r"[\s,]+", (root.get("viewBox") or "").strip())]
    if len(box) == 4 and box[2] and box[3]:
        ratio = box[2] / box[3]
        if width is None and height is None:
            width, height = box[2], box[3]
        elif width is None and height is not None:
            width = height * ratio
        elif height is None and width is not None:
            height = width / ratio
    if width is None or height is None:
        return DEFAULT_SIZE
    return width, height


def rasterize_svg(data: bytes, *, max_side: int = MAX_SIDE) -> bytes | None:
    """PNG bytes of a sanitized SVG, at most `max_side` pixels on its longest side; None if it cannot be."""
    root = sanitize_svg(data)
    if root is None:
        return None
    width, height = intrinsic_size(root)
    scale = min(1.0, max_side / width, max_side / height)
    size = (round(width * scale), round(height * scale))
    if min(size) < 1:
        return None  # a sliver: nothing worth showing
    # the document itself says the bounded size (its drawing scaled into it by the viewBox), so the
    # renderer's own reading of the dimensions cannot ask for more
    if not root.get("viewBox"):
        root.set("viewBox", f"0 0 {width:g} {height:g}")
    root.set("width", str(size[0]))
    root.set("height", str(size[1]))
    markup = etree.tostring(root, encoding="unicode")
    try:
        png = resvg_py.svg_to_bytes(svg_string=markup)
    except (ValueError, OverflowError):
        return None
    return bytes(png) if png else None
