"""Per-process language pipelines and the chapter-level analysis (descriptions + name stats).

Each chapter is one spaCy doc through `components.build_nlp(lang)`; its per-sentence table (type,
calibrated confidence, priority, name mentions) is joined here into passages of one scene.

`get_pipeline(lang, model_name)` builds lazily and caches per process: the ARQ worker's process pool
calls `warm_up` in its initializer so the first book does not pay for lexicon expansion.
"""

from __future__ import annotations

import bisect
import gc
import logging
import os
import re
from collections import Counter
from functools import cache
from typing import Any, NamedTuple, cast

from spacy.tokens import Doc

from .characters import NameStat
from .chunk import ChunkAnalysis
from .components import build_nlp
from .lexicon import CATEGORIES, get_lexicon
from .model import ChapterText, CharacterQuote, DescriptionType, FoundDescription
from .names import NameMention
from .ranking import GLIMPSE_PENALTY, MIN_CHANCE, MIN_CHANCE_CONFIDENCE, RUN_BONUS
from .scorer import Scorer
from .scoring import APPEARANCE, COLOUR
from .text import WORD, paragraph_spans
from .versions import model_version

log = logging.getLogger(__name__)

MIN_CHARS = 50
MAX_CHARS = 1000
MAX_SENTENCES = 4
MAX_QUOTES_PER_CHUNK = 30
_PRONOUN_START = re.compile(r"^\W*(?:he|she|his|her|он|она|его|её|ее)\b", re.IGNORECASE)
_NORMALISE = re.compile(r"\W+")
_TERMINATED = re.compile(r"[.!?…][\"'»”’)\]]*$")
_PERSON_LABELS = {"PERSON", "PER"}
_SCENE = {"location", "atmosphere", "object"}  # a scene's place, weather and things make one picture


def _joinable(a: str, b: str) -> bool:
    return a == b or (a in _SCENE and b in _SCENE)


class Scored(NamedTuple):
    start: int
    end: int
    kind: str | None
    confidence: float
    priority: float
    keys: list[str]
    counts: list[int]
    words: int
    subject: bool  # a place noun opens the sentence
    chance: float  # the fitted ranker's chance that the sentence is painterly (1.0 without a ranker)


class Pipeline:
    def __init__(self, language: str, model_name: str | None = None) -> None:
        self.language = language
        self.lexicon = get_lexicon(language)
        self.size = len(CATEGORIES)
        self.spacy = build_nlp(language)
        self.scorer = cast(Scorer, self.spacy.get_pipe("br_scorer"))
        self.version = model_version(language)
        self.nlp = _load_trained(model_name) if model_name else None  # optional NER for names

    def analyze(self, chapters: list[ChapterText]) -> ChunkAnalysis:
        descriptions: list[FoundDescription] = []
        names: dict[str, NameStat] = {}
        texts: list[str] = []
        for chapter in chapters:
            if chapter.skip or not chapter.text.strip():
                continue
            descriptions.extend(self._chapter(chapter, names))
            texts.append(chapter.text)
        lower: dict[str, int] = {}
        if self.language == "en":
            # The whole lower-case vocabulary: a name word may be capitalised in one batch, lower-case in
            # another. Counted in C over all chapters at once (a line break joins no words), so the Python
            # loop sees each distinct word once, in order of first use as chapter by chapter did.
            counted = Counter(WORD.findall("\n".join(texts)))
            lower = {word: n for word, n in counted.items() if word[0].islower()}
        return ChunkAnalysis(self.language, descriptions, names, lower, os.getpid(), self.version)

    def run(self, text: str, paragraphs: list[tuple[int, int]] | None = None, single: bool = False) -> Doc:
        """The spaCy pipeline over one text; `doc.user_data["br"]` holds the per-sentence table."""
        doc = self.spacy.make_doc(text)
        doc.user_data["br_paragraphs"] = paragraphs or []
        doc.user_data["br_single"] = single
        doc.user_data["br_text"] = text
        return self.spacy(doc)

    def classify_sentence(self, sentence: str, mode: str = "both") -> tuple[str | None, float, float]:
        """Type, confidence and priority of one sentence on its own (the evaluation unit)."""
        previous, self.scorer.mode = self.scorer.mode, mode
        try:
            table = self.run(sentence, single=True).user_data["br"]
        finally:
            self.scorer.mode = previous
        return table.scored[0] if table.scored else (None, 0.0, 0.0)

    def chapter_passages(
        self, text: str, paragraphs: list[tuple[int, int]] | None = None, mode: str = "both"
    ) -> list[FoundDescription]:
        """Descriptions of one text (no name statistics), under a scorer mode: for the evaluation."""
        previous, self.scorer.mode = self.scorer.mode, mode
        try:
            return self._chapter(ChapterText(0, text, paragraphs or []), {})
        finally:
            self.scorer.mode = previous

    def _chapter(self, chapter: ChapterText, names: dict[str, NameStat]) -> list[FoundDescription]:
        text = chapter.text
        table = self.run(text, chapter.paragraphs).user_data["br"]
        persons = None
        if self.nlp is not None:
            persons = self._ner_persons(text, paragraph_spans(text, chapter.paragraphs))
        runs: list[FoundDescription] = []
        typed: list[Scored] = []
        last_name: str | None = None
        current = -1
        any_typed = False  # a paragraph without a typed sentence has no runs: `_runs` is not called for it
        counts_all, words_all = table.rows()
        number, scored, chances = chapter.number, table.scored, table.chances
        for i, ((start, end), paragraph) in enumerate(zip(table.spans, table.paragraph, strict=True)):
            if paragraph != current:
                if any_typed:
                    runs.extend(self._runs(number, text, typed))
                typed, last_name, current, any_typed = [], None, paragraph, False
            mentions = table.mentions[i]
            if persons:
                first = bisect.bisect_left(persons, (start,))
                ner = {key for s, e, key in persons[first : bisect.bisect_left(persons, (end,))] if e <= end}
                mentions = [m for m in mentions if m[0] not in ner] + [
                    NameMention(key, False, 0, 0) for key in sorted(ner)
                ]
            keys = sorted({m.key for m in mentions}) if mentions else []
            kind, confidence, priority = scored[i]
            any_typed = any_typed or kind is not None
            counts = counts_all[i]
            typed.append(
                Scored(start, end, kind, confidence, priority, keys, counts, words_all[i], False, chances[i])
            )
            for key, initial, flags, at in mentions:
                stat = names.get(key) or names.setdefault(key, NameStat(key))
                stat.record(number, start + at, initial, flags)
            looks = counts[APPEARANCE] >= 2 or (counts[APPEARANCE] and counts[COLOUR])
            if looks and end - start <= MAX_CHARS:  # an appearance quote for the name(s) it is about
                sentence = text[start:end]
                owners = keys or ([last_name] if last_name and _PRONOUN_START.match(sentence) else [])
                quote = CharacterQuote(number, start, end, sentence)
                for key in owners:
                    stat = names[key]
                    if len(stat.quotes) < MAX_QUOTES_PER_CHUNK:
                        stat.quotes.append(quote)
            if keys:
                last_name = keys[0]
        if any_typed:
            runs.extend(self._runs(number, text, typed))
        return deduplicate(runs)

    def _runs(self, number: int, text: str, scored: list[Scored]) -> list[FoundDescription]:
        """Join neighbouring descriptive sentences of one scene into a description and type the whole."""
        found: list[FoundDescription] = []
        i = 0
        while i < len(scored):
            first = scored[i]
            if first.kind is None or first.end - first.start > MAX_CHARS:
                i += 1
                continue
            j = i + 1
            while j < len(scored) and j - i < MAX_SENTENCES:
                nxt = scored[j]
                if (
                    nxt.kind is None
                    or nxt.end - first.start > MAX_CHARS
                    or not _joinable(first.kind, nxt.kind)
                ):
                    break
                j += 1
            if scored[j - 1].end - first.start < MIN_CHARS and j < len(scored):
                nxt = scored[j]
                if nxt.kind is None and nxt.end - first.start <= MAX_CHARS:
                    j += 1  # a short cue sentence takes its plain neighbour along
            run = scored[i:j]
            start, end = first.start, run[-1].end
            i = j
            if end - start < MIN_CHARS or not _TERMINATED.search(text, start, end):
                continue  # too short, or a heading / fragment without a sentence end
            typed = [s for s in run if s.kind is not None]
            if (
                max(s.chance for s in typed) < MIN_CHANCE
                and max(s.confidence for s in typed) < MIN_CHANCE_CONFIDENCE
            ):
                continue  # not worth a picture (ranking.MIN_CHANCE)
            weight: dict[str, float] = {}
            for s in typed:
                assert s.kind is not None
                weight[s.kind] = weight.get(s.kind, 0.0) + s.confidence
            kind = max(weight, key=lambda k: (weight[k], k == first.kind))
            confidence = max(s.confidence for s in typed if s.kind == kind)
            priority = max(s.priority for s in typed) + RUN_BONUS * min(len(typed) - 1, 3)
            if end - start < 80:
                priority -= GLIMPSE_PENALTY
            found.append(
                FoundDescription(
                    chapter=number,
                    type=cast(DescriptionType, kind),
                    start=start,
                    end=end,
                    text=text[start:end],
                    confidence=confidence,
                    priority=round(max(priority, 0.01), 4),
                    entities=sorted({k for s in run for k in s.keys}),
                )
            )
        return found

    def _ner_persons(self, text: str, paragraphs: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
        """PERSON entities as chapter offsets; paragraph by paragraph (spaCy caps a doc at ~1M chars)."""
        assert self.nlp is not None  # only called with a trained pipeline loaded
        self.nlp.max_length = max(self.nlp.max_length, *(e - s + 1 for s, e in paragraphs), 1)
        docs = self.nlp.pipe(text[s:e] for s, e in paragraphs)
        return sorted(
            (start + e.start_char, start + e.end_char, e.text)
            for (start, _), doc in zip(paragraphs, docs, strict=True)
            for e in doc.ents
            if e.label_ in _PERSON_LABELS
        )


def deduplicate(found: list[FoundDescription]) -> list[FoundDescription]:
    """Drop near-identical descriptions of a chapter (same words ≥ 85%), keeping the higher priority.

    In priority order, a description is dropped when it overlaps a kept one, has the same normalised text,
    or shares ≥ 85% of its words with a kept one of 0.8–1.25× its word count. The kept ones never overlap,
    so one bisect finds the only kept span that could; similar ones are looked up by word count."""
    kept: list[FoundDescription] = []
    norms: set[str] = set()
    starts: list[int] = []  # kept spans of positive length, by start (disjoint, so ends ascend too)
    ends: list[int] = []
    empty: list[FoundDescription] = []  # kept spans of no length (never from `_runs`), checked one by one
    by_size: dict[int, list[frozenset[str]]] = {}
    for item in sorted(found, key=lambda d: (-d.priority, d.start)):
        norm = _NORMALISE.sub(" ", item.text.lower()).strip()
        words = frozenset(norm.split())
        if norm in norms or _overlaps(item, starts, ends, empty) or _similar(words, by_size):
            continue
        kept.append(item)
        norms.add(norm)
        by_size.setdefault(len(words), []).append(words)
        if item.start < item.end:
            at = bisect.bisect_left(starts, item.start)
            starts.insert(at, item.start)
            ends.insert(at, item.end)
        else:
            empty.append(item)
    return sorted(kept, key=lambda d: (d.chapter, d.start))


def _overlaps(
    item: FoundDescription, starts: list[int], ends: list[int], empty: list[FoundDescription]
) -> bool:
    if any(o.start < item.end and item.start < o.end for o in empty):
        return True
    if item.start >= item.end:
        return any(s < item.end and item.start < e for s, e in zip(starts, ends, strict=True))
    at = bisect.bisect_left(starts, item.end)  # kept spans [at:] start at or after this one's end
    return at > 0 and ends[at - 1] > item.start


def _similar(words: frozenset[str], by_size: dict[int, list[frozenset[str]]]) -> bool:
    """A kept word set with 0.8 <= len(words) / len(other) <= 1.25 and Jaccard similarity >= 0.85."""
    n = len(words)
    for size in range(int(n / 1.25) - 1, int(n / 0.8) + 2):
        others = by_size.get(size)
        if not others or not 0.8 <= n / max(size, 1) <= 1.25:
            continue
        for other in others:
            shared = len(words & other)
            if shared / (n + size - shared) >= 0.85:  # the size of the union, without building it
                return True
    return False


def _load_trained(model_name: str) -> Any:
    """A trained spaCy pipeline for NER, if installed; analysis works without one."""
    try:
        import spacy

        return spacy.load(model_name, exclude=["parser", "lemmatizer", "textcat"])
    except (OSError, ImportError, ValueError) as error:
        log.warning("nlp model %s not available, using rules only: %s", model_name, error)
        return None


@cache
def get_pipeline(language: str, model_name: str | None = None) -> Pipeline:
    pipeline = Pipeline(language, model_name)
    # A pipeline (lexicons, pymorphy3's dictionaries, spaCy's vocab) lives as long as the process: frozen out
    # of the collector's way (as app.py does after startup), a full collection during a book walks only what
    # the analysis allocates. Unfrozen, each one walked ~90k objects for 40-100 ms: up to a tenth of a 1 MB
    # book's analysis, in about every other book.
    gc.collect()
    gc.freeze()
    return pipeline
