"""Streaming chapter writer: the one place that turns a walk over a document into chapters.

Walkers (EPUB XHTML, FB2) call `open_block`/`close_block` for containers, `start_para`/`end_para` for
leaf blocks and `text`/`open_inline`/`void` inside them. The writer numbers every kept leaf block
(`id="p-<i>"`), builds the plain text in one pass (list of parts, joined once: no quadratic strings),
records where each source anchor landed, and splits the stream into chapters — at TOC points, at headings
of an over-long chapter, or hard at a paragraph once `max_chars` is exceeded. A split closes the open
containers and reopens them in the next chapter, so a chapter's HTML is always balanced. Untitled slivers
shorter than `min_chars` are not split off but continue into the next chapter.

Text rules: whitespace runs collapse to one space, paragraph edges are trimmed, `<br>` is "\\n",
paragraphs are joined by "\\n\\n". The HTML text nodes carry exactly the same characters, so the DOM text
of `#p-i` equals `text[start:end]` (with `<br>` read as a newline).
"""

from __future__ import annotations

import re
from html import escape

from bookreader.ingest.limits import book_too_large

_HEADINGS = {"h1", "h2", "h3", "h4"}


def attrs_html(attrs: dict[str, str] | None) -> str:
    if not attrs:
        return ""
    return "".join(f' {key}="{escape(value, quote=True)}"' for key, value in attrs.items())


class DraftChapter:
    """A chapter while it is being written; `anchors` maps a source anchor key to a paragraph index."""

    __slots__ = (
        "anchors",
        "from_toc",
        "front_matter",
        "html",
        "level",
        "paragraphs",
        "sources",
        "text_len",
        "text_parts",
        "title",
    )

    def __init__(self, title: str | None, level: int, front_matter: bool, from_toc: bool) -> None:
        self.title = title
        self.level = level
        self.front_matter = front_matter
        self.from_toc = from_toc
        self.html: list[str] = []
        self.text_parts: list[str] = []
        self.text_len = 0
        self.paragraphs: list[tuple[int, int]] = []
        self.sources: list[str] = []  # per paragraph: the source element's path (see ingest/xpath.py)
        self.anchors: dict[str, int] = {}

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def absorb(self, other: DraftChapter) -> None:
        """Append `other` (renumbering its paragraph ids and shifting its offsets) — used to merge slivers."""
        shift_index = len(self.paragraphs)
        sep = 2 if self.text_len and other.text_len else 0
        shift_text = self.text_len + sep
        if sep:
            self.text_parts.append("\n\n")
        self.text_parts.extend(other.text_parts)
        self.text_len = shift_text + other.text_len if other.text_len else self.text_len
        self.paragraphs.extend((start + shift_text, end + shift_text) for start, end in other.paragraphs)
        self.sources.extend(other.sources)
        self.html.append(
            re.sub(
                r' id="p-(\d+)"', lambda m: f' id="p-{int(m.group(1)) + shift_index}"', "".join(other.html)
            )
        )
        for key, index in other.anchors.items():
            self.anchors.setdefault(key, index + shift_index)


class ChapterWriter:
    def __init__(
        self, *, max_chars: int, min_chars: int, max_book_chars: int = 0, max_chapters: int = 0
    ) -> None:
        self.max_chars = max_chars
        self.min_chars = min_chars
        self.max_book_chars, self.max_chapters = max_book_chars, max_chapters  # 0 = no cap
        self.book_chars = 0
        self.chapters: list[DraftChapter] = []
        self.current: DraftChapter | None = None
        self._stack: list[tuple[str, str]] = []  # open containers: (tag, rendered attributes)
        self._pending_anchors: list[str] = []
        self._in_para = False
        self._para_tag = "p"
        self._para_attrs = ""
        self._para_html: list[str] = []
        self._para_text: list[str] = []
        self._para_inline: list[str] = []
        self._para_anchors: list[str] = []
        self._para_has_media = False
        self._pending_space = False
        self._pending_newline = False
        self._preformatted = 0
        self._title_from_heading = False
        self.source = ""  # set by walkers: the path of the source block being walked
        self._para_source = ""

    # chapters -------------------------------------------------------------------------------------------

    def begin_chapter(
        self, title: str | None, level: int = 1, *, front_matter: bool = False, from_toc: bool = False
    ) -> None:
        """Start a new chapter here (a TOC point, a spine file, an FB2 section)."""
        self.end_para()
        current = self.current
        if current is not None and not current.paragraphs:
            # Nothing written yet: this point names the chapter instead of starting another one.
            if title is not None and (current.title is None or not current.from_toc):
                current.title, current.level, current.from_toc = title, level, from_toc
                self._title_from_heading = False
            current.front_matter = front_matter
            return
        if (
            current is not None
            and current.text_len < self.min_chars
            and not current.from_toc
            and not current.front_matter
            and not front_matter
        ):
            # An untitled sliver: let it run on into the chapter that starts here.
            if title is not None:
                current.title, current.level, current.from_toc = title, level, from_toc
                self._title_from_heading = False
            return
        self._close_current()
        self.current = DraftChapter(title, level, front_matter, from_toc)
        self._add_chapter(self.current)
        self._title_from_heading = title is None
        self.current.html.extend(f"<{tag}{attrs}>" for tag, attrs in self._stack)

    def _add_chapter(self, chapter: DraftChapter) -> None:
        if self.max_chapters and len(self.chapters) >= self.max_chapters:
            raise book_too_large("chapters", self.max_chapters)
        self.chapters.append(chapter)

    def has_text(self) -> bool:
        """Whether the current chapter already holds text (a pending paragraph counts)."""
        if self._in_para and self._para_text:
            return True
        return self.current is not None and self.current.text_len > 0

    def mark_front_matter(self, value: bool = True) -> None:
        if self.current is not None:
            self.current.front_matter = value

    def _ensure_chapter(self) -> DraftChapter:
        if self.current is None:
            self.current = DraftChapter(None, 1, False, False)
            self._add_chapter(self.current)
            self._title_from_heading = True
        return self.current

    def _close_current(self) -> None:
        if self.current is not None:
            self.current.html.extend(f"</{tag}>" for tag, _ in reversed(self._stack))

    def finish(self) -> list[DraftChapter]:
        self.end_para()
        self._close_current()
        if self._pending_anchors and self.chapters:
            last = self.chapters[-1]
            for key in self._pending_anchors:
                last.anchors.setdefault(key, max(len(last.paragraphs) - 1, 0))
        self._stack.clear()
        return [chapter for chapter in self.chapters if chapter.paragraphs]

    # containers -----------------------------------------------------------------------------------------

    def open_block(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        self.end_para()
        rendered = attrs_html(attrs)
        self._ensure_chapter().html.append(f"<{tag}{rendered}>")
        self._stack.append((tag, rendered))

    def close_block(self) -> None:
        self.end_para()
        tag, _ = self._stack.pop()
        self._ensure_chapter().html.append(f"</{tag}>")

    def rule(self) -> None:
        self.end_para()
        self._ensure_chapter().html.append("<hr>")

    def anchor(self, key: str) -> None:
        if self._in_para:
            self._para_anchors.append(key)
        else:
            self._pending_anchors.append(key)

    # paragraphs -----------------------------------------------------------------------------------------

    def start_para(self, tag: str = "p", attrs: dict[str, str] | None = None) -> None:
        self.end_para()
        chapter = self._ensure_chapter()
        if chapter.text_len >= self.max_chars or (
            tag in _HEADINGS and chapter.text_len >= self.max_chars // 2
        ):
            title = None if tag in _HEADINGS else _continued(chapter.title)
            self.begin_chapter(title, chapter.level, front_matter=chapter.front_matter)
        self._in_para = True
        self._para_source = self.source
        self._para_tag = tag
        self._para_attrs = attrs_html(attrs)
        self._para_html = []
        self._para_text = []
        self._para_inline = []
        self._para_anchors = self._pending_anchors
        self._pending_anchors = []
        self._para_has_media = False
        self._pending_space = False
        self._pending_newline = False
        if tag == "pre":
            self._preformatted += 1

    def end_para(self) -> None:
        if not self._in_para:
            return
        self._in_para = False
        if self._para_tag == "pre":
            self._preformatted -= 1
        for tag in reversed(self._para_inline):
            self._para_html.append(f"</{tag}>")
        text = "".join(self._para_text)
        if not text and not self._para_has_media:
            self._pending_anchors = self._para_anchors + self._pending_anchors
            return
        chapter = self._ensure_chapter()
        index = len(chapter.paragraphs)
        if text:
            if chapter.text_len:
                chapter.text_parts.append("\n\n")
                chapter.text_len += 2
            start = chapter.text_len
            chapter.text_parts.append(text)
            chapter.text_len += len(text)
            self.book_chars += len(text)
            if self.max_book_chars and self.book_chars > self.max_book_chars:
                raise book_too_large("characters", self.max_book_chars)  # stop early: CPU and memory
        else:
            start = chapter.text_len
        chapter.paragraphs.append((start, chapter.text_len))
        chapter.sources.append(self._para_source)
        for key in self._para_anchors:
            chapter.anchors.setdefault(key, index)
        body = "".join(self._para_html)
        chapter.html.append(f'<{self._para_tag} id="p-{index}"{self._para_attrs}>{body}</{self._para_tag}>')
        if self._title_from_heading and text and self._para_tag[0] == "h" and self._para_tag[1:].isdigit():
            chapter.title = text.replace("\n", " ")
            self._title_from_heading = False
        elif self._title_from_heading and len(chapter.paragraphs) > 3:
            self._title_from_heading = False

    def _ensure_para(self) -> None:
        if not self._in_para:
            self.start_para("p")

    def text(self, value: str | None) -> None:
        if not value:
            return
        if not self._in_para:
            if value.isspace():
                return
            self.start_para("p")
        if self._preformatted:
            self._emit(value.replace("\r", ""))
            return
        if value[0].isspace():
            self._pending_space = True
        words = value.split()
        if not words:
            return
        piece = " ".join(words)
        if self._pending_newline:
            piece = "\n" + piece
        elif self._pending_space and self._para_text:
            piece = " " + piece
        self._pending_space = value[-1].isspace()
        self._pending_newline = False
        self._emit(piece)

    def _emit(self, piece: str) -> None:
        if not self._para_text:
            piece = piece.lstrip("\n")
        self._para_text.append(piece)
        self._para_html.append(escape(piece, quote=False))

    def open_inline(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        self._ensure_para()
        self._para_html.append(f"<{tag}{attrs_html(attrs)}>")
        self._para_inline.append(tag)

    def close_inline(self) -> None:
        if self._in_para and self._para_inline:
            self._para_html.append(f"</{self._para_inline.pop()}>")

    def line_break(self) -> None:
        # The newline reaches the text only if more text follows, so paragraphs never end with one.
        if self._in_para:
            self._para_html.append("<br>")
            self._pending_newline = bool(self._para_text)
            self._pending_space = False

    def image(self, attrs: dict[str, str]) -> None:
        self._ensure_para()
        self._para_html.append(f"<img{attrs_html(attrs)}>")
        self._para_has_media = True


def _continued(title: str | None) -> str | None:
    if not title:
        return None
    return title if title.endswith("(continued)") else f"{title} (continued)"
