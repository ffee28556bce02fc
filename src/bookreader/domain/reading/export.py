"""Highlights export: Markdown for Obsidian/Readwise (YAML front matter, chapter headings, quotes as
blockquotes, notes under them) or a structured JSON document."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import msgspec

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Chapter
from bookreader.domain.reading.locate import owned_book
from bookreader.domain.reading.tables import Highlight

MARKDOWN_TYPE = "text/markdown; charset=utf-8"
JSON_TYPE = "application/json"


class Export(msgspec.Struct, frozen=True):
    body: bytes
    media_type: str
    filename: str

    def content_disposition(self) -> str:
        # RFC 6266: an ASCII fallback for old clients, the real (UTF-8) name in filename*
        fallback = re.sub(r"[^A-Za-z0-9._ -]+", "_", self.filename).strip() or "highlights"
        return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(self.filename)}"


async def export_highlights(user: User, book_id: uuid.UUID, fmt: str) -> Export:
    book = await owned_book(user, book_id)
    chapters = {
        row["number"]: row["title"]
        for row in await Chapter.select(Chapter.number, Chapter.title).where(Chapter.book == book.id)
    }
    rows = (
        await Highlight.select()
        .where(Highlight.owner == user.id, Highlight.book == book.id)
        .order_by(Highlight.chapter, Highlight.start, Highlight.created_at)
    )
    authors = book.authors
    document = _document(book.id, book.title, authors, chapters, rows)
    stem = _file_stem(book.title)
    if fmt == "json":
        return Export(json.dumps(document, ensure_ascii=False, indent=2).encode(), JSON_TYPE, f"{stem}.json")
    return Export(_markdown(document).encode(), MARKDOWN_TYPE, f"{stem}.md")


def _document(
    book_id: uuid.UUID, title: str, authors: list[str], chapters: dict[int, str], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["chapter"], []).append(
            {
                "id": str(row["id"]),
                "start": row["start"],
                "end": row["end"],
                "text": row["text"],
                "color": row["color"],
                "note": row["note"],
                "created_at": row["created_at"].astimezone(UTC).isoformat(),
            }
        )
    return {
        "book": {"id": str(book_id), "title": title, "authors": authors},
        "exported_at": datetime.now(UTC).isoformat(),
        "highlight_count": len(rows),
        "chapters": [
            {"number": number, "title": chapters.get(number) or f"Chapter {number}", "highlights": items}
            for number, items in sorted(grouped.items())
        ],
    }


def _yaml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _markdown(document: dict[str, Any]) -> str:
    book = document["book"]
    author = ", ".join(book["authors"])
    lines = [
        "---",
        f"title: {_yaml_string(book['title'])}",
        f"author: {_yaml_string(author)}",
        f"authors: [{', '.join(_yaml_string(a) for a in book['authors'])}]",
        "category: books",
        "source: BookReader",
        f"highlights: {document['highlight_count']}",
        f"exported: {document['exported_at']}",
        "---",
        "",
        f"# {_inline(book['title'])}",
        "",
    ]
    if author:
        lines += [f"*by {_inline(author)}*", ""]
    for chapter in document["chapters"]:
        lines += [f"## {_inline(chapter['title'])}", ""]
        for item in chapter["highlights"]:
            lines += [_blockquote(item["text"]), ""]
            if item["note"]:
                lines += [f"**Note:** {_inline(item['note'])}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _inline(text: str) -> str:
    return " ".join(text.split())


def _blockquote(text: str) -> str:
    paragraphs = [" ".join(p.split()) for p in text.strip().splitlines()]
    return "\n".join(f"> {p}" if p else ">" for p in paragraphs)


def _file_stem(title: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title).strip()[:120] or "Book"
    return f"{name} - highlights"
