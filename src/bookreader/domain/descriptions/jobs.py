"""ARQ stage `analyze_book`: chapters → descriptions and characters, in the worker's process pool."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from bookreader import nlp
from bookreader.core.procpool import run_in_pool
from bookreader.domain.books import pipeline
from bookreader.domain.books.jobs import AnalyzeBook
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.descriptions.tables import Character, Description
from bookreader.nlp.model import BookAnalysis, ChapterText

log = logging.getLogger(__name__)


@pipeline.stage
async def analyze_book(ctx: dict[str, Any], raw: dict) -> str:
    job = AnalyzeBook.load(raw)
    book = await Book.objects().output(load_json=True).where(Book.id == uuid.UUID(job.book_id)).first()
    if book is None or book.status != "analyzing":
        return "skipped"
    rows = (
        await Chapter.select(Chapter.number, Chapter.text, Chapter.paragraphs, Chapter.is_front_matter)
        .output(load_json=True)
        .where(Chapter.book == book.id)
        .order_by(Chapter.number)
    )
    chapters = [
        ChapterText(
            number=row["number"],
            text=row["text"],
            paragraphs=[tuple(p) for p in row["paragraphs"] or []],
            skip=row["is_front_matter"],
        )
        for row in rows
    ]
    analysis: BookAnalysis = await run_in_pool(ctx["process_pool"], nlp.analyze_book, chapters, book.language)
    await replace_analysis(book, analysis)
    await pipeline.transition(ctx, book, "ready", progress=1.0, allowed_from=("analyzing",))
    return f"ready: {len(analysis.descriptions)} descriptions"


async def replace_analysis(book: Book, analysis: BookAnalysis) -> None:
    descriptions = [
        Description(
            book=book.id,
            chapter=d.chapter,
            type=d.type,
            text=d.text,
            start=d.start,
            end=d.end,
            confidence=d.confidence,
            priority=d.priority,
            entities=d.entities,
        )
        for d in analysis.descriptions
    ]
    characters = [
        Character(
            book=book.id,
            name=c.name,
            aliases=c.aliases,
            mention_count=c.mention_count,
            first_chapter=c.first_chapter,
            appearance=[
                {"chapter": q.chapter, "start": q.start, "end": q.end, "text": q.text} for q in c.appearance
            ],
        )
        for c in analysis.characters
    ]
    async with Book._meta.db.transaction():
        await Description.delete().where(Description.book == book.id)
        await Character.delete().where(Character.book == book.id)
        for start in range(0, len(descriptions), 500):
            await Description.insert(*descriptions[start : start + 500])
        for start in range(0, len(characters), 500):
            await Character.insert(*characters[start : start + 500])


FUNCTIONS = [analyze_book]
