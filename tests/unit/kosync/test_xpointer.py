"""XPointer parsing and mapping on a small hand-made book (the real-book round trip is in test_xpointer_books)."""

from __future__ import annotations

from bookreader.domain.kosync.xpointer import ChapterSources, PositionMap, parse_xpointer

FRAG = "/body/DocFragment[3]/body"
CHAPTERS = [
    ChapterSources(1, [(0, 10), (12, 30), (32, 40)], [f"{FRAG}/h1", f"{FRAG}/div/p[1]", f"{FRAG}/div/p[2]"]),
    ChapterSources(
        2, [(0, 20), (22, 50)], ["/body/DocFragment[4]/body/p", "/body/DocFragment[4]/body/section/p"]
    ),
]


def test_parse() -> None:
    parsed = parse_xpointer("/body/DocFragment[3]/body/div[1]/p[2]/text().15")
    assert parsed is not None
    assert (parsed.path, parsed.text_index, parsed.offset) == ("/body/DocFragment[3]/body/div/p[2]", 1, 15)
    parsed = parse_xpointer("/FictionBook/body/section[2]/p[4]/text()[2].3")
    assert parsed is not None and (parsed.text_index, parsed.offset) == (2, 3)
    parsed = parse_xpointer("/body/DocFragment[3]/body/h1")
    assert parsed is not None and parsed.text_index is None and parsed.offset is None
    for bad in ("", "garbage", "/", "/body/DocFragment[x]/p", "body/p"):
        assert parse_xpointer(bad) is None


def test_to_position() -> None:
    positions = PositionMap(CHAPTERS)
    assert positions.to_position(f"{FRAG}/div/p[2]/text().3") == (1, 35)
    assert positions.to_position(f"{FRAG}/div[1]/p[1]/text().100") == (1, 30)  # clamped to the paragraph
    assert positions.to_position(f"{FRAG}/div/p[2]/span/em/text().3") == (1, 32)  # inside inline markup
    assert positions.to_position(f"{FRAG}/div/p[2]/text()[2].3") == (1, 32)  # later text node: its start
    assert positions.to_position(f"{FRAG}/div") == (1, 12)  # a container: its first paragraph
    assert positions.to_position("/body/DocFragment[4]/body/section[1]/p[1]/text().0") == (2, 22)
    assert positions.to_position(f"{FRAG}/autoBoxing/div/p[2]/text().1") == (1, 33)  # crengine's own boxes
    assert positions.to_position(f"{FRAG}/div/floatBox[2]/p[2]") == (1, 32)
    assert positions.to_position("/body/DocFragment[9]/body/p") is None
    assert positions.to_position("not an xpointer") is None


def test_to_xpointer_and_back() -> None:
    positions = PositionMap(CHAPTERS)
    assert positions.to_xpointer(1, 0) == f"{FRAG}/h1"
    assert positions.to_xpointer(1, 11) == f"{FRAG}/h1"  # the separator belongs to the paragraph before
    assert positions.to_xpointer(1, 33) == f"{FRAG}/div/p[2]"
    assert positions.to_xpointer(2, 49) == "/body/DocFragment[4]/body/section/p"
    assert positions.to_xpointer(3, 0) is None
    for chapter in CHAPTERS:
        for index, (start, _end) in enumerate(chapter.paragraphs):
            xpointer = positions.to_xpointer(chapter.number, start)
            assert xpointer is not None
            back = positions.to_position(xpointer)
            assert back is not None and positions.paragraph_at(*back) == index


def test_books_without_paths_fall_back_to_fractions() -> None:
    positions = PositionMap([ChapterSources(1, [(0, 100)], []), ChapterSources(2, [(0, 300)], [])])
    assert not positions.has_paths
    assert positions.to_xpointer(1, 0) is None
    assert positions.from_fraction(0.5) == (2, 100)
    assert positions.fraction(2, 100) == 0.5
