"""Ingest records, per paragraph, the crengine path of its source element (what KOReader XPointers name)."""

from __future__ import annotations

from bookreader.ingest import parse_book

from .builders import make_epub, make_fb2, xhtml

LONG = "Words of a long enough paragraph to be a chapter on its own. " * 8


def test_epub_paths_count_spine_items_and_same_name_siblings() -> None:
    first = xhtml(f"<h1>One</h1><p>{LONG}</p><p>Second paragraph.</p>")
    nested = xhtml(
        f"<section><h2>Two</h2><div><p>{LONG}</p></div><div>Loose text<p>Inner.</p>tail text</div></section>"
        "<section><p>Other section.</p></section>"
    )
    book = parse_book(make_epub({"one.xhtml": first, "two.xhtml": nested}))
    sources = [source for chapter in book.chapters for source in chapter.sources]
    texts = [chapter.text[s:e] for chapter in book.chapters for s, e in chapter.paragraphs]
    by_text = dict(zip(texts, sources, strict=True))
    assert by_text["One"] == "/body/DocFragment[1]/body/h1"
    assert by_text["Second paragraph."] == "/body/DocFragment[1]/body/p[2]"
    assert by_text["Two"] == "/body/DocFragment[2]/body/section[1]/h2"
    assert by_text[LONG.strip()] in (
        "/body/DocFragment[1]/body/p[1]",
        "/body/DocFragment[2]/body/section[1]/div[1]/p",
    )
    assert by_text["Loose text"] == "/body/DocFragment[2]/body/section[1]/div[2]"  # a container's own text
    assert by_text["Inner."] == "/body/DocFragment[2]/body/section[1]/div[2]/p"
    assert by_text["Other section."] == "/body/DocFragment[2]/body/section[2]/p"
    for chapter in book.chapters:
        assert len(chapter.sources) == len(chapter.paragraphs)


def test_fb2_paths_start_at_fictionbook() -> None:
    sections = f"<section><title><p>Глава</p></title><p>{LONG}</p><p>Вторая.</p></section><section><p>Третья.</p></section>"
    book = parse_book(make_fb2(sections).encode())
    sources = {
        chapter.text[s:e]: src
        for chapter in book.chapters
        for (s, e), src in zip(chapter.paragraphs, chapter.sources, strict=True)
    }
    assert sources["Глава"] == "/FictionBook/body/section[1]/title"
    assert sources["Вторая."] == "/FictionBook/body/section[1]/p[2]"
    assert sources["Третья."] == "/FictionBook/body/section[2]/p"
