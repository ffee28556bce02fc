"""Tiny EPUB/FB2 factories for tests: just enough structure to exercise one behaviour at a time."""

from __future__ import annotations

import io
import zipfile

CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)


def xhtml(body: str, title: str = "t", head: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{head}<html xmlns="http://www.w3.org/1999/xhtml" '
        f'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>{title}</title></head><body>{body}</body></html>'
    )


def make_epub(
    documents: dict[str, str],
    *,
    title: str = "Test Book",
    language: str = "en",
    toc: list[tuple[str, str]] | None = None,
    extra_files: dict[str, bytes] | None = None,
    extra_manifest: str = "",
    metadata: str = "",
    with_mimetype: bool = True,
    guide: str = "",
) -> bytes:
    """An EPUB 2 whose spine is `documents` (name -> xhtml, under OEBPS/) and whose NCX is `toc`."""
    manifest = "".join(
        f'<item id="d{i}" href="{name}" media-type="application/xhtml+xml"/>'
        for i, name in enumerate(documents)
    )
    spine = "".join(f'<itemref idref="d{i}"/>' for i in range(len(documents)))
    points = "".join(
        f'<navPoint id="n{i}" playOrder="{i + 1}"><navLabel><text>{label}</text></navLabel>'
        f'<content src="{src}"/></navPoint>'
        for i, (label, src) in enumerate(toc or [])
    )
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">'
        f'<dc:title>{title}</dc:title><dc:language>{language}</dc:language><dc:identifier id="id">x</dc:identifier>'
        f"{metadata}</metadata>"
        f'<manifest><item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>{manifest}{extra_manifest}'
        f'</manifest><spine toc="ncx">{spine}</spine><guide>{guide}</guide></package>'
    )
    ncx = f'<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>{points}</navMap></ncx>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if with_mimetype:
            archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", CONTAINER)
        archive.writestr("OEBPS/content.opf", opf)
        archive.writestr("OEBPS/toc.ncx", ncx)
        for name, content in documents.items():
            archive.writestr(f"OEBPS/{name}", content)
        for name, data in (extra_files or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_fb2(
    sections: str, *, title: str = "Книга", lang: str = "ru", prolog: str = "", extra: str = ""
) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}'
        '<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0" xmlns:l="http://www.w3.org/1999/xlink">'
        f"<description><title-info><author><first-name>Иван</first-name><last-name>Петров</last-name></author>"
        f"<book-title>{title}</book-title><lang>{lang}</lang></title-info></description>"
        f"<body>{sections}</body>{extra}</FictionBook>"
    )


def paragraphs(count: int, words: int = 30, prefix: str = "para") -> str:
    return "".join(f"<p>{prefix} {i} " + " ".join(["lorem"] * words) + "</p>" for i in range(count))
