"""Element paths as crengine (KOReader's EPUB/FB2 engine) writes them in XPointers.

`/body/DocFragment[N]/body/div[2]/p[3]`: each step is the element's local name with its 1-based index among
same-name siblings, the index omitted when the element is the only one of its name (crengine's
`toStringV1`; `toStringV2` gives the same for documents without autoboxing). EPUB content lives under
`/body/DocFragment[N]/body` where N is the 1-based index of the document in the OPF spine (every spine item
counts); FB2 under `/FictionBook`. Paths are computed lazily, a parent's children at once, so a walk is O(n).
"""

from __future__ import annotations

from collections import Counter

from lxml import etree

from bookreader.ingest.xmlsafe import local


def epub_fragment_path(spine_index: int, spine_length: int) -> str:
    """The path of one spine document's `<body>` in crengine's DOM."""
    fragment = f"DocFragment[{spine_index}]" if spine_length > 1 else "DocFragment"
    return f"/body/{fragment}"


class ElementPaths:
    """`path(element)` for elements under `root`, whose own path is `root_path`."""

    def __init__(self, root: etree._Element, root_path: str) -> None:
        self._paths: dict[etree._Element, str] = {root: root_path}
        self._root_path = root_path

    def path(self, element: etree._Element) -> str:
        known = self._paths.get(element)
        if known is not None:
            return known
        parent = element.getparent()
        if parent is None:
            return self._root_path
        base = self.path(parent)
        children = [child for child in parent if isinstance(child.tag, str)]
        counts = Counter(local(child.tag) for child in children)
        seen: Counter[str] = Counter()
        for child in children:
            name = local(child.tag)
            seen[name] += 1
            self._paths[child] = f"{base}/{name}[{seen[name]}]" if counts[name] > 1 else f"{base}/{name}"
        return self._paths.get(element, base)
