"""The per-sentence table of one doc, `doc.user_data["br"]`: what the components find, row i = sentence i."""

from __future__ import annotations

import re

import numpy as np

from .lexicon import CATEGORIES
from .names import NameMention
from .text import EXCLAIM_OR_ASK, QUOTE_CHARS, opens_dialogue

Marks = tuple[list[bool], list[bool], list[int]]  # per sentence: dialogue opening, quotation mark, ! and ?


class SentenceTable:
    """Per-sentence arrays of one doc (row i = sentence i)."""

    def __init__(
        self,
        text: str,
        spans: list[tuple[int, int]],
        paragraph: list[int],
        tokens: np.ndarray,
        lower: np.ndarray,
        alpha: np.ndarray,
    ) -> None:
        self.text = text  # doc.text joins all tokens on every access: read it once
        self.spans = spans  # exact (start, end) char offsets
        self.paragraph = paragraph  # index of the paragraph each sentence belongs to
        self.tokens = tokens  # (n, 2) token ranges
        # Per token, read from the doc once for all components: LOWER hashes, IS_ALPHA, LEMMA hashes (set by
        # br_lemmatizer) and how many alphabetic tokens come before it (one more entry: all; set by br_cues).
        self.lower, self.alpha = lower, alpha
        self.lemmas = np.zeros(0, np.uint64)
        self.words_before = np.zeros(1, np.int64)
        n = len(spans)
        self.counts = np.zeros((n, len(CATEGORIES)), np.int32)
        self.words = np.zeros(n, np.int32)
        self.subject = [False] * n
        self.probs: np.ndarray | None = None  # (n, len(TYPES)) model probabilities, clauses mixed in
        self.sentence_probs: np.ndarray | None = None  # the same of the whole sentences alone
        self.cue_at = np.zeros(0, np.int64)  # first token and category of every cue match (br_cues)
        self.cue_category = np.zeros(0, np.int64)
        self.mentions: list[list[NameMention]] = [[] for _ in range(n)]
        self.scored: list[tuple[str | None, float, float]] = []  # (type, confidence, priority)
        self.chances = [
            1.0
        ] * n  # the fitted ranker's chance that a typed sentence is painterly (1: no ranker)
        self._marks: Marks | None = None
        self._rows: tuple[list[list[int]], list[int]] | None = None

    def rows(self) -> tuple[list[list[int]], list[int]]:
        """`counts` and `words` as lists, for the scorer and pipeline.py reading them sentence by sentence; made
        once (only after br_cues: it fills them)."""
        if self._rows is None:
            self._rows = self.counts.tolist(), self.words.tolist()
        return self._rows

    def marks(self) -> Marks:
        """Per sentence: does it open with dialogue, hold a quotation mark, and how many ! and ? it has.
        Found once per doc (the classifier, the rule typer and the ranker all read them), the last two by one
        pass over the whole text instead of a regex per sentence."""
        if self._marks is None:
            text = self.text
            bounds = np.asarray(self.spans, dtype=np.int64).reshape(-1, 2)
            self._marks = (
                [opens_dialogue(text, start, end) for start, end in self.spans],
                (_within(QUOTE_CHARS, text, bounds) > 0).tolist(),
                _within(EXCLAIM_OR_ASK, text, bounds).tolist(),
            )
        return self._marks


def _within(pattern: re.Pattern[str], text: str, bounds: np.ndarray) -> np.ndarray:
    """How many matches of `pattern` (one character each) start inside each (start, end) row of `bounds`."""
    at = np.fromiter((m.start() for m in pattern.finditer(text)), np.int64)
    return np.searchsorted(at, bounds[:, 1]) - np.searchsorted(at, bounds[:, 0])
