"""Pure EPUB 3 writing: an `ExportBook` (msgspec values) in, the bytes of a valid EPUB 3 out.

No HTTP, database or files here; `build_epub` runs in the worker's process pool. The result passes
epubcheck: chapters are XHTML content documents with the pictures after the passages they illustrate
(`<figure>` + `<figcaption>` quoting the passage), a nested navigation document with landmarks
(`bodymatter` at the story's start), an NCX and an EPUB 2 guide for older readers, the cover as
`cover-image`, Dublin Core metadata with series, and optionally a cast appendix.

Layout: `mimetype`, `META-INF/container.xml`, `OEBPS/{content.opf,nav.xhtml,toc.ncx,style.css}`,
`OEBPS/text/chapter-NNNN.xhtml`, `OEBPS/assets/…` (the book's own images), `OEBPS/pictures/…`, `OEBPS/cover.*`.
"""

from __future__ import annotations

import io
import zipfile

from bookreader.epubwriter.cast import cast_body
from bookreader.epubwriter.model import (
    CastMember,
    CastQuote,
    ExportBook,
    ExportChapter,
    ExportMetadata,
    Figure,
    Resource,
)
from bookreader.epubwriter.package import (
    CONTAINER,
    STYLE,
    ManifestItem,
    TocEntry,
    content_document,
    language_of,
    nav_document,
    ncx_document,
    opf_document,
)
from bookreader.epubwriter.xhtml import body_xml, chapter_file, mend_links, parse_chapter, place_figures

__all__ = [
    "CastMember",
    "CastQuote",
    "ExportBook",
    "ExportChapter",
    "ExportMetadata",
    "Figure",
    "Resource",
    "build_epub",
]

CORE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}  # EPUB 3.2 core media types (webp is not)
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}
CAST_FILE = "cast.xhtml"


def epub_image(resource: Resource) -> Resource | None:
    """The resource as a core media type (WebP and the like become PNG); None when it is no readable image."""
    if resource.media_type in CORE_IMAGE_TYPES:
        return resource
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(resource.data)) as image:
            out = io.BytesIO()
            image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    stem = resource.name.rsplit(".", 1)[0]
    return Resource(name=f"{stem}.png", media_type="image/png", data=out.getvalue())


class _Package:
    """The files written so far and their manifest entries."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.manifest: list[ManifestItem] = []

    def add(self, href: str, media_type: str, data: bytes, *, item_id: str, properties: str = "",
            in_spine: bool = False) -> None:  # fmt: skip
        if href in self.files:
            return
        self.files[href] = data
        self.manifest.append(ManifestItem(item_id, href, media_type, properties, in_spine))


def build_epub(book: ExportBook) -> bytes:
    package = _Package()
    language = language_of(book.metadata)
    cover_id = _add_cover(package, book.cover)

    assets = {asset.name: asset for asset in book.assets}
    asset_hrefs: dict[str, str | None] = {}

    def asset_href(src: str) -> str | None:
        if not src.startswith(book.asset_url_prefix):
            return None
        name = src[len(book.asset_url_prefix) :]
        if name not in asset_hrefs:
            found = assets.get(name)
            image = epub_image(found) if found is not None else None
            if image is None:
                asset_hrefs[name] = None
            else:
                href = f"assets/{image.name}"
                package.add(href, image.media_type, image.data, item_id=f"asset-{len(asset_hrefs) + 1}")
                asset_hrefs[name] = f"../{href}"
        return asset_hrefs[name]

    parsed = [parse_chapter(chapter) for chapter in book.chapters]
    ids_by_chapter = {p.chapter.number: p.ids for p in parsed}
    pictures: dict[int, Resource] = {}  # id(figure) → its image as a core media type
    figures_by_chapter: dict[int, list[Figure]] = {}
    for figure in book.figures:
        image = epub_image(figure.image)
        if image is not None:
            pictures[id(figure)] = image
            figures_by_chapter.setdefault(figure.chapter, []).append(figure)

    def picture_href(figure: Figure) -> str:
        image = pictures[id(figure)]
        package.add(image.name, image.media_type, image.data, item_id=f"picture-{len(package.files)}")
        return f"../{image.name}"

    toc: list[TocEntry] = []
    for chapter in parsed:
        mend_links(chapter, ids_by_chapter, asset_href)
        place_figures(chapter, figures_by_chapter.get(chapter.chapter.number, []), picture_href)
        number = chapter.chapter.number
        document = content_document(chapter.chapter.title, language, body_xml(chapter))
        href = f"text/{chapter_file(number)}"
        package.add(href, "application/xhtml+xml", document.encode("utf-8"), item_id=f"chapter-{number}",
                    in_spine=True)  # fmt: skip
        toc.append(TocEntry(chapter.chapter.title, href, chapter.chapter.level))

    def portrait_href(member: CastMember) -> str | None:
        image = epub_image(member.portrait) if member.portrait is not None else None
        if image is None:
            return None
        package.add(image.name, image.media_type, image.data, item_id=f"portrait-{len(package.files)}")
        return f"../{image.name}"

    if book.cast:
        body = cast_body(book.cast, book.cast_title, {p.chapter.number for p in parsed}, portrait_href)
        document = content_document(book.cast_title, language, body)
        href = f"text/{CAST_FILE}"
        package.add(href, "application/xhtml+xml", document.encode("utf-8"), item_id="cast", in_spine=True)
        toc.append(TocEntry(book.cast_title, href, 1))

    start = _start_href(book)
    landmarks = [("bodymatter", start, "Start of the story")] if start else []  # the nav is not in the spine
    if book.cast:
        landmarks.append(("appendix", f"text/{CAST_FILE}", book.cast_title))
    package.add("nav.xhtml", "application/xhtml+xml", nav_document(book.metadata, toc, landmarks).encode(),
                item_id="nav", properties="nav")  # fmt: skip
    package.add(
        "toc.ncx", "application/x-dtbncx+xml", ncx_document(book.metadata, toc).encode(), item_id="ncx"
    )
    package.add("style.css", "text/css", STYLE.encode(), item_id="style")
    opf = opf_document(book.metadata, package.manifest, start, cover_id)
    return _zip(opf, package.files)


def _add_cover(package: _Package, cover: Resource | None) -> str | None:
    image = epub_image(cover) if cover is not None else None
    if image is None:
        return None
    href = "cover" + _EXTENSIONS[image.media_type]
    package.add(href, image.media_type, image.data, item_id="cover-image", properties="cover-image")
    return "cover-image"


def _start_href(book: ExportBook) -> str | None:
    numbers = [chapter.number for chapter in book.chapters]
    if not numbers:
        return None
    start = book.start_chapter
    if start not in numbers:
        start = next((c.number for c in book.chapters if not c.is_front_matter), numbers[0])
    return f"text/{chapter_file(start)}"


def _zip(opf: str, files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), b"application/epub+zip", compress_type=zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/container.xml", CONTAINER, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("OEBPS/content.opf", opf, compress_type=zipfile.ZIP_DEFLATED)
        for href, data in files.items():
            # pictures are compressed already: storing them is as small and much faster
            compress = zipfile.ZIP_STORED if href.endswith((".png", ".jpg", ".gif")) else zipfile.ZIP_DEFLATED
            archive.writestr(f"OEBPS/{href}", data, compress_type=compress, compresslevel=6)
    return out.getvalue()
