"""OPF descriptions: escaped HTML becomes plain paragraphs (selectolax parses it)."""

from __future__ import annotations

import pytest

from bookreader.ingest.epub_meta import strip_markup


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<p>One &amp; two</p><p>Three<br/>four</p>", "One & two\n\nThree\n\nfour"),
        ('<div class="d"><p>A  <i>very</i>\n short</p></div>', "A very short"),
        ("Plain text &amp; an entity", "Plain text & an entity"),
        ("<p></p><br>", ""),
    ],
)
def test_descriptions_lose_their_markup_and_keep_their_paragraphs(raw: str, text: str) -> None:
    assert strip_markup(raw) == text
