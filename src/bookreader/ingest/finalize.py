"""From draft chapters to `ParsedChapter`s: merge the last sliver, resolve internal links, sanitize.

Internal links (footnotes, cross references) are written as placeholders while walking, because their
target may live in a chapter not parsed yet. Here each becomes `#p-<i>` (same chapter) or
`?chapter=<n>#p-<i>` (another chapter): the paragraph that holds the target anchor. A link whose target
cannot be found loses its href but keeps its text.
"""

from __future__ import annotations

import re

from bookreader.ingest.model import ParsedChapter
from bookreader.ingest.sanitize import sanitize_html
from bookreader.ingest.writer import DraftChapter

_PLACEHOLDER = re.compile(r' href="@@link(\d+)@@"')
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+(?:['’-][^\W{_CJK}]+)*")
_FRONT_TITLES = re.compile(
    r"^\s*(cover|title page|half title|contents|table of contents|toc|copyright( page)?|dedication|"
    r"colophon|imprint|about (this|the) (e?book|publisher)|the full project gutenberg licen[cs]e|"
    r"landmarks|list of (illustrations|tables)|обложка|оглавление|содержание|аннотация)\s*\.?\s*$",
    re.IGNORECASE,
)


class Links:
    """Placeholders for internal links, resolved once every chapter is written."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.targets: dict[str, tuple[int, int]] = {}  # anchor key → (chapter, paragraph), once finalized

    def placeholder(self, key: str) -> str:
        self.keys.append(key)
        return f"@@link{len(self.keys) - 1}@@"


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def is_front_matter_title(title: str) -> bool:
    return bool(_FRONT_TITLES.match(title))


def _fallback_title(chapter: DraftChapter) -> str:
    if not chapter.text_len:
        return "Cover" if "<img" in "".join(chapter.html) else "Untitled"
    first_line = chapter.text_parts[0].split("\n", 1)[0]
    return first_line if len(first_line) <= 80 else first_line[:77].rstrip() + "…"


def _merge_last_sliver(drafts: list[DraftChapter], min_chars: int) -> list[DraftChapter]:
    if len(drafts) < 2:
        return drafts
    last, previous = drafts[-1], drafts[-2]
    if (
        last.text_len < min_chars
        and not last.from_toc
        and not last.front_matter
        and not previous.front_matter
    ):
        previous.absorb(last)
        return drafts[:-1]
    return drafts


def finalize_chapters(drafts: list[DraftChapter], links: Links, *, min_chars: int) -> list[ParsedChapter]:
    drafts = _merge_last_sliver(drafts, min_chars)
    targets: dict[str, tuple[int, int]] = {}
    for number, draft in enumerate(drafts, start=1):
        for key, index in draft.anchors.items():
            targets.setdefault(key, (number, index))
    links.targets = targets

    chapters: list[ParsedChapter] = []
    for number, draft in enumerate(drafts, start=1):

        def resolve(match: re.Match[str], number: int = number) -> str:
            target = targets.get(links.keys[int(match.group(1))])
            if target is None:
                return ""
            chapter, index = target
            return f' href="#p-{index}"' if chapter == number else f' href="?chapter={chapter}#p-{index}"'

        html = _PLACEHOLDER.sub(resolve, "".join(draft.html))
        text = draft.text
        title = (draft.title or "").strip() or _fallback_title(draft)
        words = count_words(text)
        chapters.append(
            ParsedChapter(
                number=number,
                title=title,
                level=max(1, draft.level),
                html=sanitize_html(html),
                text=text,
                paragraphs=draft.paragraphs,
                sources=draft.sources,
                word_count=words,
                is_front_matter=draft.front_matter or words == 0 or is_front_matter_title(title),
            )
        )
    return chapters
