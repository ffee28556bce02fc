"""Per-process language pipelines and the chapter-level analysis (descriptions + name stats).

`get_pipeline(lang, model_name)` builds lazily and caches per process: the ARQ worker's process pool
calls `warm_up` in its initializer so the first book does not pay for lexicon expansion.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from functools import cache

import msgspec

from .characters import NameStat, sentence_names
from .lexicon import CATEGORIES, Lexicon
from .model import ChapterText, CharacterQuote, FoundDescription
from .scoring import APPEARANCE, COLOUR, classify, cue_counts
from .text import WORD, paragraph_spans, sentence_spans

log = logging.getLogger(__name__)

SUPPORTED = ("en", "ru")
MIN_CHARS = 50
MAX_CHARS = 1000
MAX_SENTENCES = 4
MAX_QUOTES_PER_CHUNK = 30
_PRONOUN_START = re.compile(r"^\W*(?:he|she|his|her|он|она|его|её|ее)\b", re.IGNORECASE)
_NORMALISE = re.compile(r"\W+")
_PERSON_LABELS = {"PERSON", "PER"}


class ChunkAnalysis(msgspec.Struct):
    """What a worker process returns for a batch of chapters; merged by `merge_chunks`."""

    language: str
    descriptions: list[FoundDescription]
    names: dict[str, NameStat]
    lowercase: dict[str, int] = {}  # English: lower-case occurrences of the words of name keys


class Pipeline:
    def __init__(self, language: str, model_name: str | None = None) -> None:
        self.language = language
        self.lexicon = Lexicon(language)
        self.size = len(CATEGORIES)
        self.nlp = _load_trained(model_name) if model_name else None

    def analyze(self, chapters: list[ChapterText]) -> ChunkAnalysis:
        descriptions: list[FoundDescription] = []
        names: dict[str, NameStat] = {}
        lower: Counter[str] = Counter()
        for chapter in chapters:
            if chapter.skip or not chapter.text.strip():
                continue
            descriptions.extend(self._chapter(chapter, names))
            if self.language == "en":
                lower.update(w for w in WORD.findall(chapter.text) if w[0].islower())
        name_words = {w.lower() for key in names for w in key.split()}
        lowercase = {w: lower[w] for w in sorted(name_words) if w in lower}
        return ChunkAnalysis(self.language, descriptions, names, lowercase)

    def classify_sentence(self, sentence: str) -> tuple[str | None, float, float]:
        """Type, confidence and priority of one sentence on its own (the evaluation unit)."""
        lowered = WORD.findall(sentence.lower())
        counts = cue_counts(lowered, self.lexicon.lookup, self.size)
        keys = {key for key, _, _ in sentence_names(sentence, self.language, self.lexicon)}
        return classify(counts, len(lowered), len(keys), sentence)

    def _chapter(self, chapter: ChapterText, names: dict[str, NameStat]) -> list[FoundDescription]:
        text = chapter.text
        persons = self._ner_persons(text) if self.nlp is not None else None
        runs: list[FoundDescription] = []
        for p_start, p_end in paragraph_spans(text, chapter.paragraphs):
            sentences = sentence_spans(text, p_start, p_end)
            typed: list[tuple[int, int, str | None, float, float, list[str]]] = []
            last_name: str | None = None
            for start, end in sentences:
                sentence = text[start:end]
                lowered = WORD.findall(sentence.lower())
                counts = cue_counts(lowered, self.lexicon.lookup, self.size)
                mentions = sentence_names(sentence, self.language, self.lexicon)
                if persons:
                    mentions.extend((key, False, False) for s, e, key in persons if start <= s and e <= end)
                keys = sorted({key for key, _, _ in mentions})
                kind, confidence, priority = classify(counts, len(lowered), len(keys), sentence)
                typed.append((start, end, kind, confidence, priority, keys))
                for key, initial, after_prep in mentions:
                    stat = names.get(key) or names.setdefault(key, NameStat(key))
                    stat.count += 1
                    stat.non_initial += not initial
                    stat.after_place_prep += after_prep
                    stat.first_chapter = min(stat.first_chapter, chapter.number)
                looks = counts[APPEARANCE] >= 2 or (counts[APPEARANCE] and counts[COLOUR])
                owners = keys or ([last_name] if last_name and _PRONOUN_START.match(sentence) else [])
                if looks and len(sentence) <= MAX_CHARS:
                    quote = CharacterQuote(chapter.number, start, end, sentence)
                    for key in owners:
                        stat = names[key]
                        if len(stat.quotes) < MAX_QUOTES_PER_CHUNK:
                            stat.quotes.append(quote)
                if keys:
                    last_name = keys[0]
            runs.extend(self._runs(chapter.number, text, typed))
        return deduplicate(runs)

    def _runs(self, number: int, text: str, typed: list) -> list[FoundDescription]:
        found: list[FoundDescription] = []
        i = 0
        while i < len(typed):
            start, end, kind, confidence, priority, keys = typed[i]
            if kind is None or end - start > MAX_CHARS:
                i += 1
                continue
            j = i + 1
            confidences, priorities, entities = [confidence], [priority], set(keys)
            while j < len(typed) and j - i < MAX_SENTENCES:
                nxt = typed[j]
                if nxt[2] != kind or nxt[1] - start > MAX_CHARS:
                    break
                confidences.append(nxt[3])
                priorities.append(nxt[4])
                entities.update(nxt[5])
                end = nxt[1]
                j += 1
            if (
                end - start < MIN_CHARS
                and j < len(typed)
                and typed[j][1] - start <= MAX_CHARS
                and typed[j][2] is None
            ):
                end = typed[j][1]  # a short cue sentence takes its plain neighbour along
                entities.update(typed[j][5])
                j += 1
            if end - start >= MIN_CHARS:
                found.append(
                    FoundDescription(
                        chapter=number,
                        type=kind,
                        start=start,
                        end=end,
                        text=text[start:end],
                        confidence=round(sum(confidences) / len(confidences), 4),
                        priority=round(max(priorities) + 0.05 * min(len(priorities) - 1, 3), 4),
                        entities=sorted(entities),
                    )
                )
            i = j
        return found

    def _ner_persons(self, text: str) -> list[tuple[int, int, str]]:
        doc = self.nlp(text)
        return [(e.start_char, e.end_char, e.text) for e in doc.ents if e.label_ in _PERSON_LABELS]


def deduplicate(found: list[FoundDescription]) -> list[FoundDescription]:
    """Drop near-identical descriptions of a chapter (same words ≥ 85%), keeping the higher priority."""
    kept: list[tuple[FoundDescription, frozenset[str], str]] = []
    for item in sorted(found, key=lambda d: (-d.priority, d.start)):
        norm = _NORMALISE.sub(" ", item.text.lower()).strip()
        words = frozenset(norm.split())
        duplicate = False
        for other, other_words, other_norm in kept:
            if other.start < item.end and item.start < other.end:
                duplicate = True
            elif norm == other_norm:
                duplicate = True
            elif 0.8 <= len(words) / max(len(other_words), 1) <= 1.25:
                duplicate = len(words & other_words) / len(words | other_words) >= 0.85
            if duplicate:
                break
        if not duplicate:
            kept.append((item, words, norm))
    return sorted((k[0] for k in kept), key=lambda d: (d.chapter, d.start))


def _load_trained(model_name: str):
    """A trained spaCy pipeline for NER, if installed; analysis works without one."""
    try:
        import spacy

        return spacy.load(model_name, exclude=["parser", "lemmatizer", "textcat"])
    except (OSError, ImportError, ValueError) as error:
        log.warning("nlp model %s not available, using rules only: %s", model_name, error)
        return None


@cache
def get_pipeline(language: str, model_name: str | None = None) -> Pipeline:
    return Pipeline(language, model_name)
