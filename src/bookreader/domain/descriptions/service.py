from __future__ import annotations

import uuid

import msgspec
from arq import ArqRedis

from bookreader import nlp
from bookreader.core.errors import Conflict, NotFound
from bookreader.core.queue import enqueue
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.service import get_book
from bookreader.domain.books.tables import Book
from bookreader.domain.descriptions.jobs import ReanalyzeBook
from bookreader.domain.descriptions.schemas import DescriptionRead, ReanalysisQueued
from bookreader.domain.descriptions.tables import Description
from bookreader.language import normalize_language


async def list_descriptions(
    user: User, book_id: uuid.UUID, *, kind: str | None, chapter: int | None
) -> list[DescriptionRead]:
    book = await get_book(user, book_id)
    where = [Description.book == book.id]
    if kind:
        where.append(Description.type == kind)
    if chapter:
        where.append(Description.chapter == chapter)
    rows = (
        await Description.select(
            Description.id, Description.chapter, Description.type, Description.text, Description.start,
            Description.end, Description.confidence, Description.priority, Description.entities, Description.summary,
        )
        .output(load_json=True)
        .where(*where)
        .order_by(Description.chapter)
        .order_by(Description.start)
    )  # fmt: skip
    return msgspec.convert(rows, list[DescriptionRead])


async def reanalyze_book(queue: ArqRedis, book_id: uuid.UUID) -> ReanalysisQueued:
    """Queue one ready book for analysis by the shipped model (any owner: admins only call this)."""
    rows = await Book.raw(
        "SELECT b.id, b.status, b.language, r.id AS run_id, r.language AS run_language, r.model_version FROM books b "
        "LEFT JOIN nlp_runs r ON r.book = b.id WHERE b.id = {}",
        book_id,
    )
    if not rows:
        raise NotFound("No such book.")
    row = rows[0]
    if row["status"] != "ready":
        raise Conflict("Only a ready book can be re-analysed.", code="book_not_ready")
    target = nlp.model_version(_language(row))
    queued = await enqueue(queue, _job(row, target))
    return ReanalysisQueued(books=1, queued=int(queued), model_version=target, book_ids=[book_id])


async def reanalyze_stale(queue: ArqRedis, older_than: str | None) -> ReanalysisQueued:
    """Queue every ready book analysed by another model than the shipped one of its language, or — with
    `older_than` (a version "en-3-…" or a bare generation "3") — by a model of an older generation."""
    rows = await Book.raw(
        "SELECT b.id, b.language, r.id AS run_id, r.language AS run_language, r.model_version FROM books b "
        "LEFT JOIN nlp_runs r ON r.book = b.id WHERE b.status = 'ready' ORDER BY b.created_at, b.id"
    )
    limit = None
    if older_than is not None:
        limit = int(older_than) if older_than.isdigit() else nlp.version_generation(older_than)
    chosen = []
    for row in rows:
        language = _language(row)
        if language not in nlp.SUPPORTED:
            continue  # no pipeline: nothing a newer model would find
        version = row["model_version"] or ""
        stale = (
            nlp.version_generation(version) < limit
            if limit is not None
            else version != nlp.model_version(language)
        )
        if stale:
            chosen.append((row, nlp.model_version(language)))
    queued = 0
    for row, target in chosen:
        queued += await enqueue(queue, _job(row, target))
    versions = sorted({target for _, target in chosen})
    return ReanalysisQueued(
        books=len(chosen),
        queued=queued,
        model_version=", ".join(versions),
        book_ids=[r["id"] for r, _ in chosen],
    )


def _job(row: dict, target: str) -> ReanalyzeBook:
    return ReanalyzeBook(book_id=str(row["id"]), model_version=target, replaces_run=str(row["run_id"] or ""))


def _language(row: dict) -> str:
    return row.get("run_language") or normalize_language(row.get("language")) or "other"
