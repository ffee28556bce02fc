"""Where a new book opens: EPUB 3 landmark `bodymatter`, EPUB 2 guide `text`, else the first chapter that is
not front matter (issue 14)."""

from __future__ import annotations

from tests.unit.ingest.builders import make_epub, paragraphs, xhtml

from bookreader.ingest import parse_book

STORY = {
    "cover.xhtml": xhtml("<p>Cover</p>", title="Cover"),
    "contents.xhtml": xhtml("<h1>Contents</h1><p>Chapter One</p><p>Chapter Two</p>", title="Contents"),
    "foreword.xhtml": xhtml("<h1>Foreword</h1>" + paragraphs(4), title="Foreword"),
    "one.xhtml": xhtml("<h1>Chapter One</h1>" + paragraphs(6), title="Chapter One"),
    "two.xhtml": xhtml(
        '<h1>Chapter Two</h1><p id="here">Start reading here.</p>' + paragraphs(6), title="Two"
    ),
}
TOC = [("Cover", "cover.xhtml"), ("Contents", "contents.xhtml"), ("Foreword", "foreword.xhtml"),
       ("Chapter One", "one.xhtml"), ("Chapter Two", "two.xhtml")]  # fmt: skip


def number_of(book, title: str) -> int:
    return next(chapter.number for chapter in book.chapters if chapter.title == title)


def test_epub3_landmark_bodymatter_wins() -> None:
    nav = xhtml(
        '<nav epub:type="toc"><ol><li><a href="one.xhtml">Chapter One</a></li></ol></nav>'
        '<nav epub:type="landmarks"><ol><li><a epub:type="cover" href="cover.xhtml">Cover</a></li>'
        '<li><a epub:type="bodymatter" href="two.xhtml#here">Start</a></li></ol></nav>'
    )
    book = parse_book(make_epub(
        STORY, toc=TOC, guide='<reference type="text" href="one.xhtml"/>',
        extra_files={"OEBPS/nav.xhtml": nav.encode()},
        extra_manifest='<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
    ))  # fmt: skip
    assert book.start_chapter == number_of(book, "Chapter Two")


def test_epub2_guide_text() -> None:
    book = parse_book(
        make_epub(STORY, toc=TOC, guide='<reference type="text" title="Start" href="foreword.xhtml"/>')
    )
    assert book.start_chapter == number_of(book, "Foreword")


def test_else_the_first_chapter_that_is_not_front_matter() -> None:
    book = parse_book(make_epub(STORY, toc=TOC))
    assert book.chapters[number_of(book, "Cover") - 1].is_front_matter
    assert book.start_chapter == number_of(book, "Foreword")
    assert book.start_chapter > 1
