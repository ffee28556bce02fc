"""The cast appendix: who the reader has met so far, with the quotes that describe them."""

from __future__ import annotations

from collections.abc import Callable

from bookreader.epubwriter.model import CastMember
from bookreader.epubwriter.xhtml import chapter_file
from bookreader.epubwriter.xhtml import escape_text as text

MAX_QUOTES = 5


def cast_body(
    cast: list[CastMember], title: str, chapters: set[int], portrait_href: Callable[[CastMember], str | None]
) -> str:
    """`portrait_href`: where a member's portrait is in the package (None: they have none there)."""
    parts = [f'<section epub:type="appendix" id="cast"><h1>{text(title)}</h1>']
    for number, member in enumerate(cast, start=1):
        parts.append(f'<section class="cast-member" id="cast-{number}"><h2>{text(member.name)}</h2>')
        href = portrait_href(member)
        if href:
            alt = text(f"Portrait of {member.name}")
            parts.append(f'<p class="cast-portrait"><img src="{text(href)}" alt="{alt}"/></p>')
        if member.aliases:
            parts.append(f"<p>Also: {text(', '.join(member.aliases))}</p>")
        if member.first_chapter in chapters:
            link = f'<a href="{chapter_file(member.first_chapter)}">chapter {member.first_chapter}</a>'
            parts.append(f"<p>First met in {link}.</p>")
        for quote in member.quotes[:MAX_QUOTES]:
            source = (
                f' (<a href="{chapter_file(quote.chapter)}">chapter {quote.chapter}</a>)'
                if quote.chapter in chapters
                else ""
            )
            parts.append(f"<blockquote><p>{text(quote.text)}{source}</p></blockquote>")
        parts.append("</section>")
    parts.append("</section>")
    return "".join(parts)
