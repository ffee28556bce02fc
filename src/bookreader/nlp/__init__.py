"""Pure NLP: find illustratable descriptions and a character bible in chapter texts.

No HTTP, DB or Redis here. Everything is module-level and the inputs/outputs are msgspec Structs, so a
`concurrent.futures.ProcessPoolExecutor` can run it:

    pool = ProcessPoolExecutor(2, initializer=warm_up, initargs=(("en", "ru"),))
    language = detect_book_language(chapters, book.language)
    chunks = [pool.submit(analyze_chunk, batch, language) for batch in batches]   # chapter batches
    analysis = merge_chunks([f.result() for f in chunks], language)              # cheap, in the caller

`analyze_chunk` returns a `ChunkAnalysis`: the batch's descriptions (entities are raw name keys) plus
per-name statistics (`NameStat`: counts, first chapter, appearance quotes). `merge_chunks` (or
`merge_characters` for the names alone) sums the stats of all chunks, merges aliases ("Gregor Samsa" /
"Gregor" / "Samsa"; Russian inflections share a pymorphy3 normal-form key; diminutives such as
Наташа → Наталья come from `lexicons/ru.txt`), keeps names mentioned ≥ 3 times (at least once not at a
sentence start) and rewrites description entities to canonical character names. The result does not
depend on how chapters were batched.

Languages: "en" and "ru" have rules and lexicons. Any other language yields no descriptions and no
characters (English cue words would match nothing useful and the UI simply shows no suggestions).
`language=None` or an unknown code is detected from the text (Cyrillic → ru, English function words → en).

The analysis runs as a spaCy pipeline (components.py): `spacy.blank(lang)` + sentence segmentation,
lemmatizer, PhraseMatcher cues, the trained textcat classifier (exclusive classes) shipped in `nlp/models/<lang>`
(rebuilt by `just train-nlp`) and the scorer that combines rules and model (ranking.py). An extra trained
NER pipeline is optional (`model_name`, e.g. settings' BOOKREADER_NLP_MODEL_EN): its PERSON entities are
added to the rule-based name mentions.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bookreader.language import normalize_language

from .characters import NameStat, alias_index, merge_cast
from .chunk import ChunkAnalysis
from .lexicon import get_lexicon
from .model import BookAnalysis, ChapterText, CharacterQuote, FoundCharacter, FoundDescription, Mention
from .text import analysis_language
from .versions import SUPPORTED, model_version, version_generation

if TYPE_CHECKING:
    from .pipeline import Pipeline

__all__ = [
    "SUPPORTED",
    "BookAnalysis",
    "ChapterText",
    "CharacterQuote",
    "ChunkAnalysis",
    "FoundCharacter",
    "FoundDescription",
    "Mention",
    "NameStat",
    "analyze_book",
    "analyze_chapter",
    "analyze_chunk",
    "detect_book_language",
    "get_pipeline",
    "merge_characters",
    "merge_chunks",
    "model_version",
    "version_generation",
    "warm_up",
]


def get_pipeline(language: str, model_name: str | None = None) -> Pipeline:
    """The language's spaCy pipeline, built once per process. spaCy is imported here, on first use, not with
    the package: the API and the worker's own process only merge and store results (pool children load it
    in `warm_up`), and importing it costs seconds of CPU per process."""
    from . import pipeline

    return pipeline.get_pipeline(language, model_name)


def detect_book_language(chapters: list[ChapterText], language: str | None = None) -> str:
    """The language to analyse with: the declared one if supported, else detected ('other' if neither)."""
    code = normalize_language(language)
    if code in SUPPORTED:
        return code
    return analysis_language([c.text for c in chapters if not c.skip] or [c.text for c in chapters])


def analyze_chunk(chapters: list[ChapterText], language: str, model_name: str | None = None) -> ChunkAnalysis:
    """Chapter-level work for one batch (runs in a worker process)."""
    code = normalize_language(language) or "other"
    if code not in SUPPORTED:
        return ChunkAnalysis(code, [], {}, pid=os.getpid())
    return get_pipeline(code, model_name).analyze(chapters)


def merge_characters(chunks: Iterable[ChunkAnalysis], language: str | None = None) -> list[FoundCharacter]:
    """The book's character bible from all chunks (language defaults to the chunks' own)."""
    return merge_cast_chunks(chunks, language)[0]


def merge_cast_chunks(
    chunks: Iterable[ChunkAnalysis], language: str | None = None
) -> tuple[list[FoundCharacter], list[FoundCharacter]]:
    """(characters, recurring places) from all chunks."""
    chunks = list(chunks)
    code = normalize_language(language or (chunks[0].language if chunks else None)) or "other"
    if code not in SUPPORTED:
        return [], []
    titles = get_lexicon(code).titles  # the pipeline's own lexicon, without building the pipeline
    return merge_cast([c.names for c in chunks], code, titles, [c.lowercase for c in chunks])


def merge_chunks(chunks: list[ChunkAnalysis], language: str | None = None) -> BookAnalysis:
    """Book-level step: character merge, then description entities → canonical names."""
    language = language or (chunks[0].language if chunks else "other")
    characters, places = merge_cast_chunks(chunks, language)
    index = alias_index(characters + places)
    descriptions: list[FoundDescription] = []
    for chunk in chunks:
        for item in chunk.descriptions:
            item.entities = sorted({index[key] for key in item.entities if key in index})
            descriptions.append(item)
    descriptions.sort(key=lambda d: (d.chapter, d.start))
    version = chunks[0].model_version if chunks else model_version(normalize_language(language) or "")
    return BookAnalysis(
        normalize_language(language) or "other", descriptions, characters, places, model_version=version
    )


def analyze_chapter(
    chapter: ChapterText, language: str, model_name: str | None = None
) -> list[FoundDescription]:
    """Descriptions of one chapter; entities are the chapter's own name keys (no book-level merge)."""
    return analyze_chunk([chapter], language, model_name).descriptions


def analyze_book(
    chapters: list[ChapterText], language: str | None, model_name: str | None = None
) -> BookAnalysis:
    code = detect_book_language(chapters, language)
    return merge_chunks([analyze_chunk(chapters, code, model_name)], code)


def warm_up(languages: Iterable[str] = SUPPORTED, models: dict[str, str] | None = None) -> None:
    """Process-pool initializer: build pipelines (lexicon expansion, pymorphy3 dictionaries) up front."""
    for language in languages:
        code = normalize_language(language)
        if code in SUPPORTED:
            get_pipeline(code, (models or {}).get(code))
            analyze_chunk([ChapterText(0, "Warm up. The tall man in a grey coat stood by the window.")], code)
