"""Format sniffing, FB2 encodings, metadata normalisation, language detection, the paragraph writer."""

from __future__ import annotations

import io
import zipfile

import pytest

from bookreader.ingest import content_hash, parse_book, sniff_format
from bookreader.ingest.writer import ChapterWriter
from bookreader.language import detect_language, normalize_language

from .builders import make_epub, make_fb2, paragraphs, xhtml

RUSSIAN = "<section><title><p>Глава первая</p></title><p>Он шёл по улице и думал, что всё это было не так.</p></section>"


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: text.replace('encoding="utf-8"', 'encoding="windows-1251"').encode("cp1251"),
        lambda text: text.replace(' encoding="utf-8"', "").encode("cp1251"),  # undeclared: sniffed
        lambda text: text.encode("cp1251"),  # declaration lies: UTF-8 fails, cp1251 works
    ],
    ids=["utf8", "utf8-bom", "cp1251-declared", "cp1251-undeclared", "cp1251-mislabelled"],
)
def test_fb2_encodings(encode, check_book) -> None:
    data = encode(make_fb2(RUSSIAN, title="Повесть"))
    assert sniff_format(data) == "fb2"
    book = parse_book(data)
    check_book(book, "assets/")
    assert book.title == "Повесть" and book.authors == ["Иван Петров"]
    assert book.chapters[0].title == "Глава первая"
    assert "Он шёл по улице" in book.chapters[0].text


def test_fb2_zip_takes_encoding_from_the_entry() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        fb2 = make_fb2(RUSSIAN, title="Повесть").replace('encoding="utf-8"', 'encoding="windows-1251"')
        archive.writestr("book.fb2", fb2.encode("cp1251"))
    assert sniff_format(buffer.getvalue()) == "fb2zip"
    assert parse_book(buffer.getvalue()).title == "Повесть"


def test_fb2_metadata_and_cover() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    import base64

    description = (
        "<description><title-info><genre>sf</genre><genre>adventure</genre><author><first-name>A</first-name>"
        "<last-name>B</last-name></author><book-title>T</book-title><annotation><p>First.</p><p>Second.</p>"
        '</annotation><coverpage><image l:href="#c.png"/></coverpage><lang>ru-RU</lang>'
        '<sequence name="Saga" number="3"/></title-info><publish-info><publisher>P</publisher><year>1999</year>'
        "<isbn>978-5-17-000000-2</isbn></publish-info></description>"
    )
    text = make_fb2(
        RUSSIAN + '<section><p><image l:href="#c.png"/></p><p>' + "слово " * 60 + "</p></section>"
    )
    text = text.replace(text[text.index("<description>") : text.index("</description>") + 14], description)
    text = text.replace(
        "</FictionBook>",
        f'<binary id="c.png" content-type="image/png">{base64.b64encode(png).decode()}</binary></FictionBook>',
    )
    book = parse_book(text.encode())
    assert (book.title, book.authors, book.language) == ("T", ["A B"], "ru")
    assert (book.series, book.series_index, book.publisher, book.year) == ("Saga", 3.0, "P", 1999)
    assert book.identifiers["isbn"] == "9785170000002"
    assert book.subjects == ["sf", "adventure"]
    assert book.annotation == "First.\n\nSecond."
    assert book.cover is not None and book.cover.data == png
    assert len(book.assets) == 1 and book.assets[0].name == "images/0001.png"


def test_fb2_nested_sections_levels_and_leading_text() -> None:
    body = (
        "<section><title><p>Part One</p></title><p>Part intro " + "word " * 50 + "</p>"
        "<section><title><p>Chapter 1</p></title><p>" + "one " * 60 + "</p></section>"
        "<section><title><p>Chapter 2</p></title><p>" + "two " * 60 + "</p></section></section>"
    )
    book = parse_book(make_fb2(body).encode())
    assert [(chapter.title, chapter.level) for chapter in book.chapters] == [
        ("Part One", 1), ("Chapter 1", 2), ("Chapter 2", 2),
    ]  # fmt: skip
    assert "one" not in book.chapters[0].text and "Part intro" in book.chapters[0].text


def test_epub3_metadata() -> None:
    metadata = (
        '<dc:creator id="c1">Ann Author</dc:creator><meta refines="#c1" property="role">aut</meta>'
        '<dc:creator id="c2">Ed Itor</dc:creator><meta refines="#c2" property="role">edt</meta>'
        "<dc:publisher>Pub</dc:publisher><dc:date>2011-05-01</dc:date><dc:subject>Fiction</dc:subject>"
        '<dc:identifier opf:scheme="ISBN">978-0-00-000000-2</dc:identifier>'
        "<dc:description>&lt;p&gt;An &lt;b&gt;annotated&lt;/b&gt; book.&lt;/p&gt;</dc:description>"
        '<meta property="belongs-to-collection" id="s">The Series</meta>'
        '<meta refines="#s" property="group-position">2</meta>'
    )
    book = parse_book(make_epub({"a.xhtml": xhtml(paragraphs(5))}, metadata=metadata, language="en-US"))
    assert book.authors == ["Ann Author"] and book.language == "en"
    assert (book.publisher, book.year, book.subjects) == ("Pub", 2011, ["Fiction"])
    assert book.identifiers["isbn"] == "9780000000002"
    assert book.annotation == "An annotated book."
    assert (book.series, book.series_index) == ("The Series", 2.0)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("en-US", "en"),
        ("pol", "pl"),
        ("ja-jp", "ja"),
        ("RUS", "ru"),
        ("fr_FR", "fr"),
        ("", None),
        ("12", None),
    ],
)
def test_normalize_language(raw: str, code: str | None) -> None:
    assert normalize_language(raw) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("It was the best of times, it was the worst of times, and he had nothing to say about it.", "en"),
        ("Он сказал, что не знает, как это было, и она так и не поняла его.", "ru"),
        ("Nie wiem, co to jest, ale to jest już za późno i tak się nie da.", "pl"),
        ("Il était une fois une petite fille qui ne savait pas ce que la vie lui réservait.", "fr"),
        ("Der Hund ist nicht mit dem Mann in die Stadt gegangen, und sie ist auch nicht da.", "de"),
        ("吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。", "ja"),
        ("short", None),
    ],
)
def test_detect_language(text: str, code: str | None) -> None:
    assert detect_language(text) == code


def test_language_detected_when_metadata_lacks_it() -> None:
    fb2 = make_fb2(RUSSIAN * 3).replace("<lang>ru</lang>", "")
    assert parse_book(fb2.encode()).language == "ru"


def test_content_hash_is_sha256() -> None:
    assert content_hash(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_writer_offsets_whitespace_and_breaks() -> None:
    writer = ChapterWriter(max_chars=100_000, min_chars=0)
    writer.begin_chapter("A")
    writer.start_para("p")
    writer.text("  Hello \n ")
    writer.open_inline("em")
    writer.text(" big ")
    writer.close_inline()
    writer.text("world ")
    writer.line_break()
    writer.text("  next line  ")
    writer.end_para()
    writer.start_para("p")
    writer.text("   ")
    writer.end_para()  # empty: dropped, no id consumed
    writer.text("loose words")
    (chapter,) = writer.finish()
    assert chapter.text == "Hello big world\nnext line\n\nloose words"
    assert chapter.paragraphs == [(0, 25), (27, 38)]
    assert "".join(chapter.html).count('id="p-') == 2


def test_writer_splits_and_reopens_containers() -> None:
    writer = ChapterWriter(max_chars=50, min_chars=0)
    writer.begin_chapter("A")
    writer.open_block("blockquote")
    for index in range(6):
        writer.start_para("p")
        writer.text(f"paragraph number {index} is here")
        writer.end_para()
    writer.close_block()
    chapters = writer.finish()
    assert len(chapters) >= 3
    for chapter in chapters:
        html = "".join(chapter.html)
        assert html.startswith("<blockquote>") and html.endswith("</blockquote>")
        assert 'id="p-0"' in html
    assert chapters[1].title == "A (continued)"


def test_document_language_and_direction_wrap_the_chapter() -> None:
    document = xhtml(paragraphs(5)).replace("<html ", '<html dir="rtl" xml:lang="ar" ', 1)
    html = parse_book(make_epub({"a.xhtml": document})).chapters[0].html
    assert html.startswith('<div lang="ar" dir="rtl">') and html.endswith("</div>")


def test_cover_from_the_guide_reference_page() -> None:
    cover, other = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64, b"\x89PNG\r\n\x1a\n" + b"\x02" * 64
    documents = {
        "a.xhtml": xhtml('<p><img src="images/o.png"/></p>' + paragraphs(5)),
        "cover.xhtml": xhtml('<div><img src="images/c.png"/></div>'),
    }
    files = {"OEBPS/images/c.png": cover, "OEBPS/images/o.png": other}
    without_guide = parse_book(make_epub(documents, extra_files=files))
    assert without_guide.cover is not None and without_guide.cover.data == other  # first image
    guide = '<reference type="cover" href="cover.xhtml" title="Cover"/>'
    book = parse_book(make_epub(documents, extra_files=files, guide=guide))
    assert book.cover is not None and book.cover.data == cover
    assert book.chapters[-1].is_front_matter  # the cover page: image only


def test_semantic_title_page_section_is_front_matter() -> None:
    body = (
        '<section epub:type="frontmatter"><section epub:type="titlepage"><h1>The Poem</h1><p>by Someone</p>'
        '</section></section><section id="one"><h2>I. First</h2>' + paragraphs(5) + "</section>"
    )
    book = parse_book(
        make_epub({"a.xhtml": xhtml(body)}, toc=[("Title", "a.xhtml"), ("I. First", "a.xhtml#one")])
    )
    assert [(chapter.title, chapter.is_front_matter) for chapter in book.chapters] == [
        ("Title", True), ("I. First", False),
    ]  # fmt: skip


def test_writer_sliver_takes_the_toc_title_and_keeps_it() -> None:
    writer = ChapterWriter(max_chars=100_000, min_chars=200)
    writer.begin_chapter(None)
    writer.text("tiny untitled sliver")
    writer.begin_chapter("Real Title", 2, from_toc=True)  # the sliver runs on into this chapter
    writer.start_para("h2")
    writer.text("A heading inside")
    writer.end_para()
    writer.text("body " * 60)
    (chapter,) = writer.finish()
    assert (chapter.title, chapter.level) == ("Real Title", 2)
    assert chapter.text.startswith("tiny untitled sliver\n\nA heading inside")
