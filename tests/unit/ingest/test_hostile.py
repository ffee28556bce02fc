"""Hostile and broken uploads: each is refused with a specific code or neutralised with the book kept."""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import pytest

from bookreader.ingest import IngestError, IngestLimits, parse_book
from bookreader.ingest.fb2 import parse_fb2

from .builders import make_epub, make_fb2, paragraphs, xhtml
from .conftest import ASSET_BASE

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    '<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>'
)
XXE = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _code(data: bytes, **kwargs) -> str:
    with pytest.raises(IngestError) as caught:
        parse_book(data, **kwargs)
    return caught.value.code


def _all_text(book) -> str:
    return "\n".join(chapter.text + chapter.html for chapter in book.chapters)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (os.urandom(4096), "unsupported_format"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" * 20, "unsupported_format"),
        (
            b"<!doctype html><html><head><title>x</title></head><body><p>Hello</p></body></html>",
            "unsupported_format",
        ),
        (b"PK\x03\x04" + b"\x00" * 100, "corrupt_archive"),
    ],
    ids=["empty", "random", "pdf", "html", "truncated-zip"],
)
def test_not_a_book(data: bytes, code: str) -> None:
    assert _code(data) == code


def test_file_too_large() -> None:
    data = make_epub({"a.xhtml": xhtml(paragraphs(5))})
    assert _code(data, limits=IngestLimits(max_upload_bytes=len(data) - 1)) == "file_too_large"


def test_zip_bomb_by_ratio() -> None:
    zeros = b"\x00" * (30 * 1024 * 1024)  # deflates ~1000:1
    data = make_epub({"a.xhtml": xhtml(paragraphs(5))}, extra_files={"OEBPS/junk.bin": zeros})
    assert _code(data) == "zip_bomb"  # refused from the declared sizes, nothing inflated


def test_oversized_entry_is_cut_off_while_streaming() -> None:
    zeros = b"\x00" * (30 * 1024 * 1024)
    data = make_epub(
        {"a.xhtml": xhtml(paragraphs(5) + '<p><img src="b.png"/></p>')}, extra_files={"OEBPS/b.png": zeros}
    )
    # The per-entry cap is enforced by the streaming counter (zipfile also never reads past the declared size).
    assert (
        _code(data, limits=IngestLimits(max_entry_bytes=1024 * 1024, max_compression_ratio=1e9)) == "zip_bomb"
    )


def test_zip_bomb_by_declared_total_and_entry_count() -> None:
    data = make_epub(
        {"a.xhtml": xhtml(paragraphs(5))}, extra_files={f"junk/{i}": b"x" * 1000 for i in range(60)}
    )
    assert _code(data, limits=IngestLimits(max_entries=50)) == "zip_bomb"
    assert _code(data, limits=IngestLimits(max_uncompressed_bytes=20_000)) == "zip_bomb"


def test_path_traversal_names_are_never_read() -> None:
    evil = xhtml("<p>EVIL PAYLOAD from outside the book</p>")
    data = make_epub(
        {
            "a.xhtml": xhtml(paragraphs(5) + '<p><a href="../../evil.xhtml">x</a></p>'),
            "../../evil.xhtml": evil,
        },
        extra_files={"/abs/evil.xhtml": evil.encode(), "../evil.png": PNG},
    )
    book = parse_book(data)
    assert "EVIL PAYLOAD" not in _all_text(book)
    assert "para 4" in book.chapters[0].text


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_fb2_entity_attacks_are_refused(attack: str) -> None:
    body = "<section><p>&lol9; &xxe; text</p></section>"
    data = make_fb2(body, prolog=attack).encode()
    assert _code(data) == "xml_entities"


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_epub_entity_attacks_are_refused(attack: str) -> None:
    document = xhtml("<p>&lol9; &xxe; hello</p>", head=attack)
    assert _code(make_epub({"a.xhtml": document})) == "xml_entities"


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_entities_stay_unexpanded_even_when_the_prolog_check_is_dodged(attack: str) -> None:
    # A 100 kB comment hides the DOCTYPE from the cheap prolog scan: the parser itself must still not expand.
    document = make_fb2("<section><p>&lol9; &xxe; text " + "word " * 60 + "</p></section>", prolog=attack)
    data = document.replace("?>", "?><!--" + "x" * 100_000 + "-->", 1).encode()
    book = parse_fb2(data, IngestLimits(), "assets/")  # past the sniffing window: call the FB2 reader itself
    text = _all_text(book)
    assert "lollol" not in text and "root:" not in text
    assert book.chapters[0].text.startswith("text word")


def test_external_entity_never_reaches_output_via_undeclared_reference() -> None:
    # Without a declaration the reference is merely undefined: dropped, the file is not read.
    data = make_fb2("<section><p>before &xxe; after " + "word " * 50 + "</p></section>").encode()
    book = parse_book(data)
    assert "root:" not in _all_text(book)
    assert "before after" in book.chapters[0].text


def test_drm_encrypted_content_is_refused() -> None:
    encryption = (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
        '<EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#">'
        '<EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
        '<CipherData><CipherReference URI="OEBPS/a.xhtml"/></CipherData></EncryptedData></encryption>'
    )
    data = make_epub(
        {"a.xhtml": xhtml(paragraphs(5))}, extra_files={"META-INF/encryption.xml": encryption.encode()}
    )
    assert _code(data) == "drm_protected"


def test_font_obfuscation_is_not_drm() -> None:
    encryption = (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
        '<EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#">'
        '<EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>'
        '<CipherData><CipherReference URI="OEBPS/font.otf"/></CipherData></EncryptedData></encryption>'
    )
    data = make_epub(
        {"a.xhtml": xhtml(paragraphs(5))}, extra_files={"META-INF/encryption.xml": encryption.encode()}
    )
    assert parse_book(data).chapters[0].word_count > 100


def test_no_content() -> None:
    assert _code(make_epub({"a.xhtml": xhtml("<div>   </div>")})) == "no_content"
    assert _code(make_fb2("<section><empty-line/></section>").encode()) == "no_content"
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "not a book")
    assert _code(zipped.getvalue()) == "unsupported_format"


def test_active_content_is_stripped(check_book) -> None:
    body = (
        '<p onclick="steal()">Click <a href="javascript:alert(1)">here</a> or '
        '<a href="https://example.org/x">there</a> <img src="http://evil.example/track.png"/>'
        '<img src="missing.png" alt="gone"/></p><script>alert(1)</script>'
        '<iframe src="https://evil.example"></iframe><form action="/x"><input name="a"/></form>'
        '<object data="x.swf"></object><p style="background:url(http://evil)">styled</p>' + paragraphs(5)
    )
    book = parse_book(make_epub({"a.xhtml": xhtml(body)}), asset_base_url=ASSET_BASE)
    check_book(book)
    html = book.chapters[0].html
    assert 'href="https://example.org/x"' in html and "noopener" in html
    assert "evil.example" not in html and "style=" not in html and "<img" not in html
    assert book.chapters[0].text.startswith("Click here or there")


def test_toc_pointing_nowhere_keeps_the_book(check_book) -> None:
    data = make_epub(
        {
            "one.xhtml": xhtml("<h1>One</h1>" + paragraphs(5)),
            "two.xhtml": xhtml("<h1>Two</h1>" + paragraphs(5)),
        },
        toc=[("Ghost", "missing.xhtml"), ("One", "one.xhtml#nowhere"), ("Two", "two.xhtml")],
        extra_manifest='<item id="gone" href="gone.xhtml" media-type="application/xhtml+xml"/>',
    )
    book = parse_book(data)
    check_book(book)
    assert [chapter.title for chapter in book.chapters] == ["One", "Two"]


def test_missing_mimetype_and_broken_document_are_tolerated(check_book) -> None:
    broken = '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Broken <b>but readable'
    data = make_epub(
        {
            "ok.xhtml": xhtml("<h1>Fine</h1>" + paragraphs(5)),
            "broken.xhtml": broken + " text</p></div></body>",
        },
        with_mimetype=False,
    )
    book = parse_book(data)
    check_book(book)
    assert "Broken but readable text" in "\n".join(chapter.text for chapter in book.chapters)


def test_huge_single_file_is_split_without_losing_text(check_book) -> None:
    sections = "".join(f"<h2>Part {i}</h2>" + paragraphs(60, prefix=f"part{i}") for i in range(40))
    book = parse_book(make_epub({"all.xhtml": xhtml(sections)}))
    check_book(book)
    assert len(book.chapters) >= 5  # ~456k chars, split at the first heading after 50k
    assert max(len(chapter.text) for chapter in book.chapters) <= IngestLimits().max_chapter_chars + 1000
    joined = "\n\n".join(chapter.text for chapter in book.chapters)
    assert joined.count("lorem") == 40 * 60 * 30
    assert all(chapter.title.startswith("Part ") for chapter in book.chapters)
    assert all(chapter.text.startswith(chapter.title) for chapter in book.chapters), "split at headings"


def test_huge_file_without_headings_is_split_at_paragraphs(check_book) -> None:
    book = parse_book(make_epub({"all.xhtml": xhtml(paragraphs(3000))}))
    check_book(book)
    assert len(book.chapters) >= 5
    assert all(len(chapter.text) < 110_000 for chapter in book.chapters)


def test_slivers_merge_but_titled_toc_entries_stay(check_book) -> None:
    docs = {
        "a.xhtml": xhtml("<h1>Chapter A</h1>" + paragraphs(5)),
        "b.xhtml": xhtml("<p>tiny</p>"),  # untitled sliver: continues into the next chapter
        "c.xhtml": xhtml("<h1>Chapter C</h1>" + paragraphs(5)),
        "d.xhtml": xhtml("<h1>Short</h1><p>x</p>"),  # a titled TOC entry: kept although tiny
        "e.xhtml": xhtml("<h1>Chapter E</h1>" + paragraphs(5)),
    }
    toc = [("Chapter A", "a.xhtml"), ("Chapter C", "c.xhtml"), ("Short", "d.xhtml"), ("Chapter E", "e.xhtml")]
    book = parse_book(make_epub(docs, toc=toc))
    check_book(book)
    assert [chapter.title for chapter in book.chapters] == ["Chapter A", "Chapter C", "Short", "Chapter E"]
    assert "tiny" in book.chapters[0].text + book.chapters[1].text


def test_several_chapters_in_one_file_split_at_toc_anchors(check_book) -> None:
    body = "".join(f'<h2><a id="ch{i}"></a>CHAPTER {i}</h2>' + paragraphs(4) for i in range(1, 4))
    toc = [(f"Chapter {i}", f"book.xhtml#ch{i}") for i in range(1, 4)]
    book = parse_book(make_epub({"book.xhtml": xhtml("<p>Front words " * 40 + "</p>" + body)}, toc=toc))
    check_book(book)
    assert [chapter.title for chapter in book.chapters][-3:] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert book.chapters[-1].text.startswith("CHAPTER 3")


def test_inline_text_is_never_dropped() -> None:
    body = (
        "<div>Loose <em>inline</em> text<p>inside</p>tail <span>span <b>bold</b></span></div>"
        '<p>a<a id="x"/>b<sup>2</sup> <ruby>漢<rt>kan</rt></ruby></p>' + paragraphs(3)
    )
    text = parse_book(make_epub({"a.xhtml": xhtml(body)})).chapters[0].text
    assert text.startswith("Loose inline text\n\ninside\n\ntail span bold\n\nab2 漢kan")


def test_images_become_assets_with_rewritten_urls(check_book) -> None:
    body = '<p>Look: <img src="img/pic.png" alt="pic"/></p>' + paragraphs(5)
    data = make_epub(
        {"a.xhtml": xhtml(body)},
        extra_files={"OEBPS/img/pic.png": PNG},
        extra_manifest='<item id="p" href="img/pic.png" media-type="image/png"/>',
    )
    book = parse_book(data, asset_base_url="/api/v1/books/42/assets/")
    check_book(book, "/api/v1/books/42/assets/")
    assert [asset.name for asset in book.assets] == ["images/0001.png"]
    assert book.assets[0].data == PNG
    assert 'src="/api/v1/books/42/assets/images/0001.png"' in book.chapters[0].html
    assert book.cover is not None and book.cover.data == PNG  # no declared cover: the first image


def test_results_and_errors_survive_pickling() -> None:
    book = parse_book(make_epub({"a.xhtml": xhtml(paragraphs(5))}))
    assert pickle.loads(pickle.dumps(book)) == book
    error = pickle.loads(pickle.dumps(IngestError("zip_bomb", "too big")))
    assert (error.code, error.message) == ("zip_bomb", "too big")


def test_tag_soup_html_document_keeps_its_text(check_book) -> None:
    # Not XML at all (unclosed <br>, <img>, <hr>): read by the HTML parser, nothing nested away and lost.
    soup = "<html><head><title/></head><body><p>line<br>next &nbsp; x<p>after<img src=a.png>tail<hr><p>end</body>"
    tidy = '<html><head><title/></head><body><p>a<a id="x"/>b</p><p>c</p></body></html>'  # XML without xmlns
    book = parse_book(make_epub({"soup.html": soup, "tidy.html": tidy}))
    check_book(book, "assets/")
    assert (
        "\n\n".join(chapter.text for chapter in book.chapters)
        == "line\nnext x\n\naftertail\n\nend\n\nab\n\nc"
    )
