"""Every file in shared/books: real metadata and chapters for good books, a specific outcome for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookreader.ingest import IngestError, parse_book, sniff_format

from .conftest import ASSET_BASE, BOOKS

pytestmark = pytest.mark.skipif(
    not BOOKS.is_dir(), reason=f"needs the shared test books at {BOOKS} (absent on a lone clone; CI has them)"
)

# file -> title, authors, language, has cover, some body chapter titles (in order), body chapter count or None
GOOD: dict[str, tuple[str, list[str], str, bool, list[str], int | None]] = {
    "epub2/calibre-quick-start-eng.epub": (
        "Quick Start Guide", ["John Schember"], "en", True, ["Introduction", "Installing calibre"], None,
    ),
    "epub2/gutenberg-kafka-metamorphosis.epub": ("Metamorphosis", ["Franz Kafka"], "en", True, ["I", "II", "III"], 3),
    "epub2/wolnelektury-mickiewicz-pisma-filomatyczne-pl.epub": (
        "Pisma filomatyczne", ["Mickiewicz, Adam"], "pl", False, ["1. ORGANIZACYJNE"], None,
    ),
    "epub3/epubjs-alice-without-cover.epub": ("Alice's Adventures in Wonderland", ["Lewis Carroll"], "en", False, [], None),
    "epub3/epubjs-alice.epub": (
        "Alice's Adventures in Wonderland", ["Lewis Carroll"], "en", True,
        ["Down The Rabbit-Hole", "The Pool Of Tears", "A Mad Tea-Party", "Who Stole The Tarts?"], 10,
    ),
    "epub3/idpf-accessible_epub_3.epub": ("Accessible EPUB 3", ["Matt Garrish"], "en", True, ["Preface", "1. Introduction"], None),
    "epub3/idpf-childrens-literature.epub": (
        "Children's Literature", ["Charles Madison Curry", "Erle Elsworth Clippinger"], "en", True,
        ["INTRODUCTORY", "I. The Rabbi and the Diadem"], None,
    ),
    "epub3/idpf-epub30-spec.epub": ("EPUB 3.0 Specification", ["EPUB 3 Working Group"], "en", True, ["1.1. Overview"], None),
    "epub3/idpf-hefty-water.epub": ("Hefty Water", [], "en", False, ["The Switch", "The Source"], None),
    "epub3/idpf-kusamakura-japanese-vertical-writing_noaudio.epub": ("草枕", ["夏目 漱石"], "ja", True, ["一", "二", "三"], None),
    "epub3/idpf-linear-algebra.epub": (
        "A First Course in Linear Algebra", ["Robert A. Beezer"], "en", False, ["Chapter 1. Theorems"], None,
    ),
    "epub3/idpf-moby-dick.epub": (
        "Moby-Dick", ["Herman Melville"], "en", True,
        ["ETYMOLOGY.", "Chapter 1. Loomings.", "Chapter 2. The Carpet-Bag.", "Chapter 135. The Chase.—Third Day."], None,
    ),
    "epub3/idpf-page-blanche.epub": ("Page Blanche", ["Boulet"], "fr", True, [], None),  # image-only comic
    "epub3/idpf-regime-anticancer-arabic.epub": (
        "Le Vrai Régime anti-cancer", ["Pr David Khayat", "Nathalie Hutter-Lardeau"], "ar", True, [], None,
    ),
    "epub3/idpf-wasteland-woff-obf.epub": (
        "The Waste Land", ["T.S. Eliot"], "en", True, ["I. THE BURIAL OF THE DEAD", "V. WHAT THE THUNDER SAID"], None,
    ),
    "fb2/coolreader-cr3-manual-ru-bom.fb2": ("Основные функции", ["Coolreader 3.0.18"], "ru", False, ["Кнопки управления"], None),
    "fb2/coolreader-grobov-example-war-and-peace.fb2": (
        "Война и мир", ["Лев Николаевич Толстой"], "ru", True, ["ЧАСТЬ ПЕРВАЯ", "Рыба (1.I)"], None,
    ),
    "fb2/fb2cng-_Test-ru.fb2": (
        "Тестовая книга", ["Иван Иванович Иванов", "Пётр Петрович Петров", "Сидор Сидорович Сидоров"], "ru", True,
        ["Поэмы и стихотворения", "Цитаты"], None,
    ),
    "fb2/fbe-script-doc-cp1251.fb2": (
        "Скрипт «Изменить дескрипшен» v.1.1 (описание)", ["Александр Ка"], "ru", True, ["КРАТКОЕ ОПИСАНИЕ"], None,
    ),
    "fb2zip/coolreader-grobov-example-war-and-peace.fb2.zip": (
        "Война и мир", ["Лев Николаевич Толстой"], "ru", True, ["ЧАСТЬ ПЕРВАЯ"], None,
    ),
    "fb2zip/fbe-script-doc-cp1251.fb2.zip": (
        "Скрипт «Изменить дескрипшен» v.1.1 (описание)", ["Александр Ка"], "ru", True, ["КРАТКОЕ ОПИСАНИЕ"], None,
    ),
    # Malformed but recoverable:
    # no mimetype entry: the container still names the OPF.
    "malformed/epubcheck-ocf-mimetype-file-missing-error.epub": ("Minimal EPUB 3.0", [], "en", False, [], 1),
    # crossed tags at line 245: lxml recover=True keeps the rest of the book.
    "malformed/fb2document-_Test_Invalid-broken-xml.fb2": (
        "Test book", ["Jane Nemo Dou", "John Nemo Dou"], "en", True, ["Poems", "Cites"], None,
    ),
    # empty metadata: the title falls back to the first text, the language is detected (Cyrillic).
    "malformed/fbe-blank-template-cp1251-empty-metadata.fb2": (
        'Чтобы изменить документ по умолчанию, отредактируйте файл "blank.fb2" вручную.', [], "ru", False, [], 1,
    ),
    # undefined entity &FBReaderVersion;: dropped, the rest parsed.
    "malformed/fbreader-MiniHelp.zh-bom-undefined-entity.fb2": ("关于 FBReader", ["FBReader"], "zh", False, ["关于 FBReader"], 1),
    # no <description>: title from the first section, language detected from Polish stopwords.
    "malformed/wolnelektury-asnyk-no-description-pl.fb2": ("Między nami nic nie było!", [], "pl", False, ["Notes"], None),
}  # fmt: skip

# file -> error code, and why
BAD: dict[str, str] = {
    # truncated zip without end-of-central-directory record: nothing can be located in it
    "malformed/epubcheck-ocf-zip-unreadable-no-end-header-fatal.epub": "corrupt_archive",
}


def _all_books() -> list[str]:
    return sorted(
        str(path.relative_to(BOOKS))
        for path in BOOKS.glob("*/*")
        if path.is_file() and path.name != "MANIFEST.tsv"
    )


def test_every_shared_book_has_an_expectation() -> None:
    assert _all_books(), f"no books under {BOOKS}"
    assert set(_all_books()) == set(GOOD) | set(BAD)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_book(name: str, check_book) -> None:
    title, authors, language, has_cover, chapter_titles, body_count = GOOD[name]
    book = parse_book((BOOKS / name).read_bytes(), asset_base_url=ASSET_BASE)
    check_book(book)
    assert book.title == title
    assert book.authors == authors
    assert book.language == language
    assert (book.cover is not None) == has_cover
    if book.cover is not None:
        assert book.cover.media_type.startswith("image/") and len(book.cover.data) > 100
    body = [chapter.title for chapter in book.chapters if not chapter.is_front_matter]
    positions = [body.index(expected) for expected in chapter_titles]
    assert positions == sorted(positions), "chapter titles in reading order"
    if body_count is not None:
        assert len(body) == body_count
    assert book.format == ("epub" if name.endswith(".epub") else "fb2")


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_book(name: str) -> None:
    with pytest.raises(IngestError) as caught:
        parse_book((BOOKS / name).read_bytes())
    assert caught.value.code == BAD[name]


def test_metamorphosis_front_and_back_matter() -> None:
    book = parse_book((BOOKS / "epub2/gutenberg-kafka-metamorphosis.epub").read_bytes())
    titles = {chapter.title: chapter for chapter in book.chapters}
    assert titles["THE FULL PROJECT GUTENBERG LICENSE"].is_front_matter
    assert "Gregor Samsa" in titles["I"].text
    assert book.year == 2005 and "Psychological fiction" in book.subjects


def test_moby_dick_has_every_chapter() -> None:
    book = parse_book((BOOKS / "epub3/idpf-moby-dick.epub").read_bytes())
    numbered = [chapter.title for chapter in book.chapters if chapter.title.startswith("Chapter ")]
    assert len(numbered) == 135
    assert any(chapter.title == "Epilogue" for chapter in book.chapters)
    assert book.word_count > 200_000


def test_alice_illustrations_become_assets() -> None:
    book = parse_book((BOOKS / "epub3/epubjs-alice.epub").read_bytes(), asset_base_url=ASSET_BASE)
    assert len(book.assets) >= 20
    assert sum(chapter.html.count("<img") for chapter in book.chapters) >= 20


def test_cp1251_fb2_and_zip_agree() -> None:
    plain = parse_book((BOOKS / "fb2/fbe-script-doc-cp1251.fb2").read_bytes())
    zipped = parse_book((BOOKS / "fb2zip/fbe-script-doc-cp1251.fb2.zip").read_bytes())
    assert plain.title == zipped.title and "Скрипт" in plain.title
    assert [chapter.text for chapter in plain.chapters] == [chapter.text for chapter in zipped.chapters]
    assert sniff_format((BOOKS / "fb2zip/fbe-script-doc-cp1251.fb2.zip").read_bytes()) == "fb2zip"


def test_fb2_nested_sections_are_not_duplicated() -> None:
    book = parse_book((BOOKS / "fb2/fb2cng-_Test-ru.fb2").read_bytes())
    paragraphs = [chapter.text[start:end] for chapter in book.chapters for start, end in chapter.paragraphs]
    long_ones = [text for text in paragraphs if len(text) > 80]
    assert len(long_ones) == len(set(long_ones)), "no paragraph appears twice"
    assert max(chapter.level for chapter in book.chapters) >= 3


def test_fb2_footnotes_link_into_the_notes_chapter() -> None:
    book = parse_book((BOOKS / "fb2/fb2cng-_Test-ru.fb2").read_bytes())
    notes = next(
        chapter for chapter in book.chapters if chapter.title.lower().startswith(("notes", "примечания"))
    )
    assert f'href="?chapter={notes.number}#p-' in book.chapters[1].html


def test_epub_footnotes_resolve_to_paragraphs() -> None:
    book = parse_book((BOOKS / "epub3/idpf-wasteland-woff-obf.epub").read_bytes())
    notes = book.chapters[-1]
    assert notes.title.startswith("NOTES")
    links = sum(chapter.html.count(f'href="?chapter={notes.number}#p-') for chapter in book.chapters)
    assert links >= 40


def test_sniff_ignores_file_names() -> None:
    assert sniff_format((BOOKS / "epub3/idpf-hefty-water.epub").read_bytes()) == "epub"
    assert sniff_format((BOOKS / "fb2/coolreader-cr3-manual-ru-bom.fb2").read_bytes()) == "fb2"
    assert sniff_format(Path(__file__).read_bytes()) is None
