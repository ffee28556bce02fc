"""The pure EPUB writer: pictures after their passages, nested TOC, metadata, links, and epubcheck on the
generated books (so a clone without ../shared/books still checks the export)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import msgspec
import pytest
from lxml import etree
from PIL import Image
from tests.books import novel_epub, novel_fb2
from tests.epubcheck import epubcheck

from bookreader.epubwriter import (
    CastMember,
    CastQuote,
    ExportBook,
    ExportChapter,
    ExportMetadata,
    Figure,
    Resource,
    build_epub,
)
from bookreader.epubwriter.parsed import ASSET_PREFIX, export_of
from bookreader.ingest import parse_book

OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
XHTML = "{http://www.w3.org/1999/xhtml}"
MODIFIED = "2026-12-01T12:00:00Z"
BOOK_ID = "urn:uuid:0b5a3c52-5f7e-4a8e-9d61-2f1f0a1c9e11"


def picture(color: tuple[int, int, int], fmt: str = "PNG") -> Resource:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, fmt)
    media_type = {"PNG": "image/png", "WEBP": "image/webp", "JPEG": "image/jpeg"}[fmt]
    return Resource(
        f"pictures/{color[0]:02x}{color[1]:02x}{color[2]:02x}.{fmt.lower()}", media_type, out.getvalue()
    )


def figures_for(parsed, count: int) -> list[Figure]:
    """One picture in the middle of each of the first `count` story chapters."""
    found = []
    for chapter in [c for c in parsed.chapters if not c.is_front_matter][:count]:
        start, end = chapter.paragraphs[len(chapter.paragraphs) // 2]
        image = picture((chapter.number * 20, 80, 120), "WEBP" if chapter.number % 2 else "PNG")
        found.append(Figure(chapter.number, start, end, chapter.text[start:end], image))
    return found


def read(epub: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(epub))


def xml(archive: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(archive.read(name))


def chapter(
    number: int, html: str, paragraphs: list[tuple[int, int]], *, level: int = 1, title: str = ""
) -> ExportChapter:
    return ExportChapter(number=number, title=title or f"Chapter {number}", level=level, html=html,
                         paragraphs=paragraphs)  # fmt: skip


def book_of(chapters: list[ExportChapter], **kw) -> ExportBook:
    metadata = kw.pop(
        "metadata", ExportMetadata(identifier=BOOK_ID, title="T", modified=MODIFIED, language="en")
    )
    return ExportBook(metadata=metadata, chapters=chapters, asset_url_prefix=ASSET_PREFIX, **kw)


def test_pictures_follow_the_paragraph_of_their_passage_with_the_passage_as_caption() -> None:
    html = '<h1 id="p-0">One</h1><p id="p-1">First part.</p><ul><li id="p-2">A list item.</li></ul><p id="p-3">Last.</p>'
    paragraphs = [(0, 3), (5, 16), (18, 30), (32, 37)]
    red, blue = picture((255, 0, 0)), picture((0, 0, 255), "WEBP")
    figures = [
        Figure(1, 5, 16, "First part.", red),
        Figure(1, 18, 30, "A list item.", blue),  # inside a list: after the list, not in it
    ]
    archive = read(build_epub(book_of([chapter(1, html, paragraphs)], figures=figures)))
    body = xml(archive, "OEBPS/text/chapter-0001.xhtml").find(f"{XHTML}body")
    tags = [etree.QName(child).localname for child in body]
    assert tags == ["h1", "p", "figure", "ul", "figure", "p"]
    first, second = body.findall(f"{XHTML}figure")
    assert first.find(f"{XHTML}figcaption").text == "“First part.”"
    assert first.find(f"{XHTML}img").get("src") == f"../{red.name}"
    assert second.find(f"{XHTML}img").get("src").endswith(".png")  # WebP is no EPUB core type: converted
    names = archive.namelist()
    assert names[0] == "mimetype" and archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    assert f"OEBPS/{red.name}" in names
    assert (
        Image.open(io.BytesIO(archive.read("OEBPS/" + second.find(f"{XHTML}img").get("src")[3:]))).format
        == "PNG"
    )


def test_nested_toc_landmarks_and_ncx_follow_chapter_levels() -> None:
    levels = [1, 2, 2, 1, 3, 1]  # the jump from 1 to 3 is clamped to 2
    chapters = [
        chapter(n, f'<p id="p-0">Text {n}.</p>', [(0, 7)], level=lv) for n, lv in enumerate(levels, 1)
    ]
    archive = read(build_epub(book_of(chapters, start_chapter=2)))
    nav = xml(archive, "OEBPS/nav.xhtml")
    toc = next(n for n in nav.iter(f"{XHTML}nav") if n.get("{http://www.idpf.org/2007/ops}type") == "toc")
    top = toc.find(f"{XHTML}ol").findall(f"{XHTML}li")
    assert [li.find(f"{XHTML}a").text for li in top] == ["Chapter 1", "Chapter 4", "Chapter 6"]
    assert [li.find(f"{XHTML}a").text for li in top[0].find(f"{XHTML}ol")] == ["Chapter 2", "Chapter 3"]
    assert [li.find(f"{XHTML}a").text for li in top[1].find(f"{XHTML}ol")] == ["Chapter 5"]
    marks = next(
        n for n in nav.iter(f"{XHTML}nav") if n.get("{http://www.idpf.org/2007/ops}type") == "landmarks"
    )
    body = marks.find(f".//{XHTML}a")
    assert body.get("{http://www.idpf.org/2007/ops}type") == "bodymatter"
    assert body.get("href") == "text/chapter-0002.xhtml"
    guide = xml(archive, "OEBPS/content.opf").find(f"{OPF}guide/{OPF}reference")
    assert (guide.get("type"), guide.get("href")) == ("text", "text/chapter-0002.xhtml")
    ncx = xml(archive, "OEBPS/toc.ncx")
    points = ncx.findall(".//{http://www.daisy.org/z3986/2005/ncx/}navPoint")
    assert len(points) == 6
    assert ncx.find(".//{http://www.daisy.org/z3986/2005/ncx/}meta").get("content") == BOOK_ID


def test_metadata_series_identifiers_and_cover() -> None:
    metadata = ExportMetadata(
        identifier=BOOK_ID, title="Crime & Punishment", modified=MODIFIED, authors=["Fyodor Dostoevsky", "C. G."],
        language="ru", identifiers={"isbn": "9780140449136", "uuid": "1234", "uri": "https://example.org/b"},
        series="Great Novels", series_index=2.0, description="A <b>novel</b>.", publisher="P", year=1866,
        subjects=["Fiction"],
    )  # fmt: skip
    cover = picture((10, 200, 10), "JPEG")
    archive = read(
        build_epub(book_of([chapter(1, '<p id="p-0">x</p>', [(0, 1)])], metadata=metadata, cover=cover))
    )
    opf = xml(archive, "OEBPS/content.opf")
    meta = opf.find(f"{OPF}metadata")
    assert meta.find(f"{DC}title").text == "Crime & Punishment"
    assert [c.text for c in meta.findall(f"{DC}creator")] == ["Fyodor Dostoevsky", "C. G."]
    assert meta.find(f"{DC}language").text == "ru"
    ids = [i.text for i in meta.findall(f"{DC}identifier")]
    assert ids[0] == BOOK_ID and "urn:isbn:9780140449136" in ids and "https://example.org/b" in ids
    props = {m.get("property"): m.text for m in meta.findall(f"{OPF}meta") if m.get("property")}
    assert props["belongs-to-collection"] == "Great Novels" and props["group-position"] == "2"
    assert props["dcterms:modified"] == MODIFIED
    items = {i.get("id"): i for i in opf.find(f"{OPF}manifest")}
    assert items["cover-image"].get("properties") == "cover-image"
    assert items["cover-image"].get("media-type") == "image/jpeg"
    again = parse_book(build_epub(book_of([chapter(1, '<p id="p-0">x</p>', [(0, 1)])], metadata=metadata)))
    assert (again.title, again.authors, again.series, again.series_index) == (
        "Crime & Punishment", ["Fyodor Dostoevsky", "C. G."], "Great Novels", 2.0)  # fmt: skip
    assert again.identifiers["isbn"] == "9780140449136"


def test_links_and_markup_that_epub_refuses_are_mended() -> None:
    one = chapter(1, '<p id="p-0">See <a href="?chapter=2#p-1">there</a>, <a href="#p-9">nowhere</a>, '
                     '<a href="https://example.org" rel="noopener noreferrer">out</a>.</p>'
                     '<p id="p-1" dir="sideways" lang="x_bad"><big>Big</big> <time>noon</time>\x0c '
                     '<img src="assets/images/0001.png" alt="pic"><img src="assets/images/missing.png"></p>'
                     '<p id="p-1">duplicate id</p>',
                  [(0, 20), (21, 30), (31, 43)])  # fmt: skip
    two = chapter(2, '<p id="p-0">a</p><p id="p-1">b</p>', [(0, 1), (3, 4)])
    asset = Resource("images/0001.png", "image/png", picture((1, 2, 3)).data)
    archive = read(build_epub(book_of([one, two], assets=[asset])))
    body = archive.read("OEBPS/text/chapter-0001.xhtml").decode()
    assert 'href="chapter-0002.xhtml#p-1"' in body
    assert ">nowhere<" in body and 'href="#p-9"' not in body
    assert 'href="https://example.org"' in body
    assert "<big" not in body and "<time" not in body and "\x0c" not in body and "sideways" not in body
    assert body.count('id="p-1"') == 1
    assert 'src="../assets/images/0001.png"' in body and "missing.png" not in body
    assert "OEBPS/assets/images/0001.png" in archive.namelist()


def test_cast_appendix_is_in_spine_toc_and_landmarks() -> None:
    cast = [CastMember(name="Gregor", first_chapter=1, quotes=[CastQuote(1, "a tall, thin man")])]
    archive = read(build_epub(book_of([chapter(1, '<p id="p-0">x</p>', [(0, 1)])], cast=cast)))
    page = archive.read("OEBPS/text/cast.xhtml").decode()
    assert "Gregor" in page and "a tall, thin man" in page and 'href="chapter-0001.xhtml"' in page
    spine = [r.get("idref") for r in xml(archive, "OEBPS/content.opf").find(f"{OPF}spine")]
    assert spine[-1] == "cast"
    assert "text/cast.xhtml" in archive.read("OEBPS/nav.xhtml").decode()


@pytest.mark.parametrize("make", [novel_epub, novel_fb2], ids=["epub", "fb2"])
def test_generated_books_pass_epubcheck_and_read_back_the_same(make, tmp_path: Path) -> None:
    parsed = parse_book(make(), asset_base_url=ASSET_PREFIX)
    figures = figures_for(parsed, 3)
    cast = [CastMember(name="Grete", first_chapter=1, quotes=[CastQuote(1, "long golden hair")])]
    book = export_of(parsed, identifier=BOOK_ID, modified=MODIFIED, figures=figures, start_chapter=2)
    path = tmp_path / "book.epub"
    path.write_bytes(build_epub(book))
    report = epubcheck(path)
    assert report.errors == [], str(report)
    again = parse_book(path.read_bytes())
    assert len(again.chapters) == len(parsed.chapters)
    for before, after in zip(parsed.chapters, again.chapters, strict=True):
        for start, end in before.paragraphs:
            assert before.text[start:end] in after.text
    illustrated = {figure.chapter for figure in figures}
    assert all(len(again.chapters[n - 1].text) > len(parsed.chapters[n - 1].text) for n in illustrated)
    with_cast = tmp_path / "cast.epub"
    with_cast.write_bytes(build_epub(msgspec.structs.replace(book, cast=cast)))
    assert epubcheck(with_cast).errors == []


def test_a_cast_members_portrait_is_in_the_appendix_as_a_core_image(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 40, 40)).save(out, "WEBP")  # not a core media type: becomes PNG
    portrait = Resource("pictures/grete.webp", "image/webp", out.getvalue())
    cast = [
        CastMember(name="Grete", first_chapter=1, portrait=portrait),
        CastMember(name="Gregor", first_chapter=1),
    ]
    epub = build_epub(book_of([chapter(1, '<p id="p-0">x</p>', [(0, 1)])], cast=cast))
    archive = read(epub)
    page = archive.read("OEBPS/text/cast.xhtml").decode()
    assert page.count("<img ") == 1
    assert '<img src="../pictures/grete.png" alt="Portrait of Grete"/>' in page
    assert Image.open(io.BytesIO(archive.read("OEBPS/pictures/grete.png"))).format == "PNG"
    assert 'href="pictures/grete.png" media-type="image/png"' in archive.read("OEBPS/content.opf").decode()
    path = tmp_path / "portrait.epub"
    path.write_bytes(epub)
    assert epubcheck(path).errors == []
