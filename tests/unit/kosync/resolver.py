"""An independent XPointer resolver for tests: lxml over the original file, crengine's path rules
(`/body/DocFragment[N]/body/...` for EPUB with N the 1-based spine index, `/FictionBook/...` for FB2; an element
is its name's 1-based index among same-name siblings, `[1]` optional)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from io import BytesIO

from lxml import etree

_STEP = re.compile(r"([^/\[]+)(?:\[(\d+)\])?")


def local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def visible_text(element: etree._Element) -> str:
    """Text as a reader shows it (ruby parentheses, <rp>, are not shown; MathML reads as its alttext)."""
    if local(element.tag) == "math" and element.get("alttext"):
        return "".join(element.get("alttext", "").split())
    parts: list[str] = [element.text or ""]
    for child in element:
        if local(child.tag) != "rp":
            parts.append(visible_text(child))
        parts.append(child.tail or "")
    return "".join(
        "".join(parts).split()
    )  # whitespace-free: engines collapse spaces at inline edges differently


def _walk(element: etree._Element, steps: list[str]) -> etree._Element | None:
    for step in steps:
        match = _STEP.fullmatch(step)
        if match is None:
            return None
        name, index = match.group(1), int(match.group(2) or 1)
        same = [child for child in element if local(child.tag) == name]
        if len(same) < index:
            return None
        element = same[index - 1]
    return element


def _spine_documents(data: bytes) -> list[bytes | None]:
    """The spine's documents in order, read straight from the zip (not through our ingest)."""
    archive = zipfile.ZipFile(BytesIO(data))
    container = etree.fromstring(archive.read("META-INF/container.xml"))
    opf_path = next(el.get("full-path") for el in container.iter() if local(el.tag) == "rootfile")
    opf = etree.fromstring(archive.read(opf_path))
    base = posixpath.dirname(opf_path)
    manifest = {el.get("id"): el.get("href") for el in opf.iter() if local(el.tag) == "item"}
    documents: list[bytes | None] = []
    seen: set[str] = set()
    for itemref in (el for el in opf.iter() if local(el.tag) == "itemref"):
        href = manifest.get(itemref.get("idref"))
        if href is None or href in seen:
            continue
        seen.add(href)
        name = posixpath.normpath(posixpath.join(base, href.split("#")[0]))
        try:
            documents.append(archive.read(name))
        except KeyError:
            documents.append(None)
    return documents


class SourceResolver:
    def __init__(self, data: bytes, fmt: str) -> None:
        self.fmt = fmt
        self.cache: dict[int, etree._Element | None] = {}
        if fmt == "epub":
            self.documents = _spine_documents(data)
        else:
            self.root = etree.fromstring(data, etree.XMLParser(recover=True, huge_tree=True))

    def _document(self, index: int) -> etree._Element | None:
        if index not in self.cache:
            raw = self.documents[index - 1] if 0 < index <= len(self.documents) else None
            root = None
            if raw:
                try:
                    root = etree.fromstring(raw, etree.XMLParser(recover=True, resolve_entities=False))
                except etree.XMLSyntaxError:
                    root = None
            self.cache[index] = root
        return self.cache[index]

    def resolve(self, xpointer: str) -> etree._Element | None:
        steps = xpointer.strip("/").split("/")
        if self.fmt == "fb2":
            return _walk(self.root, steps[1:]) if steps[0] == "FictionBook" else None
        match = _STEP.fullmatch(steps[1])
        if steps[0] != "body" or match is None or match.group(1) != "DocFragment":
            return None
        root = self._document(int(match.group(2) or 1))
        if root is None:
            return None
        body = next((el for el in root.iter() if local(el.tag) == "body"), None)
        return _walk(body, steps[3:]) if body is not None and steps[2] == "body" else None


def crengine_path(element: etree._Element, prefix: str) -> str:
    """What KOReader writes for `element` (toStringV1), below the document root named by `prefix`."""
    steps: list[str] = []
    while element.getparent() is not None and local(element.tag) not in ("body", "FictionBook"):
        parent = element.getparent()
        same = [child for child in parent if local(child.tag) == local(element.tag)]
        name = local(element.tag)
        steps.append(f"{name}[{same.index(element) + 1}]" if len(same) > 1 else name)
        element = parent
    return "/".join([prefix, *reversed(steps)])


def epub_paragraphs(data: bytes) -> list[tuple[str, etree._Element]]:
    """Every `<p>` with text of an EPUB, with the XPointer KOReader would write for its start."""
    documents = _spine_documents(data)
    found: list[tuple[str, etree._Element]] = []
    for index, raw in enumerate(documents, start=1):
        if not raw:
            continue
        root = etree.fromstring(raw, etree.XMLParser(recover=True, resolve_entities=False))
        fragment = f"/body/DocFragment[{index}]/body" if len(documents) > 1 else "/body/DocFragment/body"
        for element in root.iter():
            if local(element.tag) == "p" and (element.text or "").strip():
                found.append((crengine_path(element, fragment), element))
    return found


def fb2_paragraphs(data: bytes) -> list[tuple[str, etree._Element]]:
    """Every `<p>` with text under an FB2 `<body>` (not the description), with the XPointer KOReader writes
    for it: `/FictionBook/body[i]/section[j]/…/p[k]` from the root, `[n]` only among same-name siblings."""
    root = etree.fromstring(data, etree.XMLParser(recover=True, huge_tree=True))
    found: list[tuple[str, etree._Element]] = []
    for element in root.iter():
        if local(element.tag) != "p" or not visible_text(element):
            continue
        steps: list[str] = []
        node, inside_body = element, False
        while node.getparent() is not None:
            parent = node.getparent()
            same = [child for child in parent if local(child.tag) == local(node.tag)]
            steps.append(f"{local(node.tag)}[{same.index(node) + 1}]" if len(same) > 1 else local(node.tag))
            inside_body = inside_body or local(node.tag) == "body"
            node = parent
        if inside_body:
            found.append(("/FictionBook/" + "/".join(reversed(steps)), element))
    return found
