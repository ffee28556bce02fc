"""Every description and quote slices its chapter text exactly, on real books and generated chapters."""

from __future__ import annotations

import random

import pytest

from bookreader.nlp import BookAnalysis, ChapterText, analyze_book

TYPES = {"location", "character", "atmosphere", "object", "action"}


def check_analysis(chapters: list[ChapterText], analysis: BookAnalysis) -> None:
    by_number = {c.number: c for c in chapters}
    previous, last_end = (0, -1), 0
    for d in analysis.descriptions:
        text = by_number[d.chapter].text
        assert text[d.start : d.end] == d.text
        assert 50 <= len(d.text) <= 1000
        assert d.text == d.text.strip()
        assert d.type in TYPES
        assert 0.0 <= d.confidence <= 1.0
        assert d.priority > 0
        assert (d.chapter, d.start) > previous, "ordered by chapter then start, no two at one offset"
        if d.chapter == previous[0]:
            assert d.start >= last_end, "spans do not overlap"
        previous, last_end = (d.chapter, d.start), d.end
    for character in analysis.characters:
        for quote in character.appearance:
            assert by_number[quote.chapter].text[quote.start : quote.end] == quote.text


@pytest.mark.parametrize("fixture", ["moby_dick", "metamorphosis", "russian_book"])
def test_real_books_slice_exactly(fixture: str, request: pytest.FixtureRequest) -> None:
    chapters = request.getfixturevalue(fixture)
    analysis = analyze_book(chapters, None)
    assert analysis.descriptions
    check_analysis(chapters, analysis)


def test_skipped_front_matter_yields_nothing(metamorphosis: list[ChapterText]) -> None:
    skipped = [ChapterText(c.number, c.text, c.paragraphs, skip=True) for c in metamorphosis]
    assert analyze_book(skipped, "en").descriptions == []


_PIECES = [
    "The room was large and dark, with a black oak floor and tall narrow windows.",
    "“Go away!” she cried.",
    "He was a tall, thin man with grey hair, a pointed nose and a shabby brown coat.",
    "Mr. Holmes rose. Dr. Watson sat by the fire!",
    "Комната была большая и тёмная, с дубовым полом и высокими узкими окнами.",
    "— Уходите! — крикнула она.",
    "Наташа, в белом платье, с чёрными кудрями и блестящими глазами, вбежала в гостиную.",
    "Шел снег... Ветер выл в трубе, и за окном было темно и холодно?",
    "\u00a0",
    "\t",
    "…",
    "A fog lay on the river; the wind howled and the cold rain beat upon the grey stones of the quay.",
]


@pytest.mark.parametrize("seed", range(25))
def test_generated_chapters_slice_exactly(seed: int) -> None:
    rng = random.Random(seed)
    chapters = []
    for number in range(1, 4):
        paragraphs, spans, pos = [], [], 0
        for _ in range(rng.randint(0, 12)):
            body = rng.choice([" ", "  ", "\n", ""]).join(
                rng.choice(_PIECES) for _ in range(rng.randint(1, 5))
            )
            paragraphs.append(body)
            spans.append((pos, pos + len(body)))
            pos += len(body) + 2
        text = "\n\n".join(paragraphs)
        chapters.append(ChapterText(number, text, spans if rng.random() < 0.5 else []))
    analysis = analyze_book(chapters, rng.choice(["en", "ru", None]))
    check_analysis(chapters, analysis)
