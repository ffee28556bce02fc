"""Clauses of long sentences, so a description inside a long sentence is not drowned by the rest of it.

The classifier is a bag of words over a whole sentence: in "He was smallish in stature …; his face was
sunburnt and freckled …; and when he took off his coat he laid a pair of pistols on the table" the face
words are outweighed by the words of plot around them. So each sentence with two or more clauses (cut
after ";", ":", a dash, or a comma before a conjunction / relative word; a clause of under
MIN_CLAUSE_WORDS words joins the next) is also scored clause by clause, and its probabilities become
    (1 − CLAUSE_WEIGHT) · p_sentence + CLAUSE_WEIGHT · max(p_sentence, max over its clauses p_clause)
per type. On the dev split (mean average precision of location / character / atmosphere, the model alone)
the mix at 0.5 gave en 0.578 → 0.583, ru 0.529 → 0.557 (weights 0.3–0.7 and minimums of 4–8 words within
0.003); the clause maximum alone was worse in English (0.517): a clause lifts a sentence, it does not
replace it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from spacy.strings import get_string_id

from .features import sentence_keys
from .lexicon import CATEGORIES

if TYPE_CHECKING:
    from .components import SentenceClassifier
    from .table import SentenceTable

CLAUSE_WEIGHT = 0.5
MIN_CLAUSE_WORDS = 6
_STOPS = (";", ":", "—", "–", "--")
_LINKS = {
    "en": ("and", "but", "while", "which", "where", "with"),
    "ru": ("и", "а", "но", "где", "который", "которая", "которое", "которые"),
}


class ClauseCuts:
    """Where a sentence's clauses end, from the tokens' LOWER hashes."""

    def __init__(self, language: str) -> None:
        self.stops = np.asarray([get_string_id(s) for s in _STOPS], dtype=np.uint64)
        self.links = np.asarray([get_string_id(s) for s in _LINKS.get(language, ())], dtype=np.uint64)
        self.comma = np.uint64(get_string_id(","))

    def ends(self, lower: np.ndarray) -> np.ndarray:
        """Bool per token: a clause ends after it (a stop mark, or a comma before a link word)."""
        end = np.isin(lower, self.stops)
        end[:-1] |= (lower[:-1] == self.comma) & np.isin(lower[1:], self.links)
        return end


def clause_ranges(tokens: np.ndarray, ends: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner sentence of each clause, (m, 2) token ranges) for the sentences of two or more clauses;
    `tokens`: the sentences' (n, 2) token ranges, `words`: how many alphabetic tokens precede each token
    (length: tokens + 1).

    A clause runs from its start to the first cut (or the sentence end) with at least MIN_CLAUSE_WORDS words
    since its start, and the next clause starts there. Each point's clause end is one `searchsorted` over
    (sentence, words) of all points; the chains of starts are then followed for all sentences at once (one
    step per clause of the longest chain) instead of one Python loop per sentence."""
    at = np.flatnonzero(ends) + 1  # a clause starts after each end token
    low = np.searchsorted(at, tokens[:, 0], "right")  # boundaries strictly inside each sentence
    high = np.searchsorted(at, tokens[:, 1], "left")
    cut = np.flatnonzero(high > low)
    if not len(cut):
        return np.zeros(0, np.int64), np.zeros((0, 2), np.int64)
    size = high[cut] - low[cut] + 2  # points of a sentence: its start, its cuts, its end
    owner = np.repeat(np.arange(len(cut)), size)  # index into `cut`
    first = np.cumsum(size) - size
    last = first + size - 1
    rank = np.arange(int(size.sum())) - first[owner]
    points = at[np.minimum(low[cut][owner] + rank - 1, len(at) - 1)]
    points[first], points[last] = tokens[cut, 0], tokens[cut, 1]
    counted = words[points]
    key = owner * (int(counted.max()) + MIN_CLAUSE_WORDS + 1) + counted  # ascending: by sentence, then words
    end = np.minimum(np.searchsorted(key, key + MIN_CLAUSE_WORDS, "left"), last[owner])
    starts = np.zeros(len(points), dtype=bool)
    step, stop = first, last
    while len(step):
        starts[step] = True
        step = end[step]
        step, stop = step[step < stop], stop[step < stop]
    begins = np.flatnonzero(starts)
    begins = begins[np.bincount(owner[begins], minlength=len(cut))[owner[begins]] > 1]  # one clause: none
    return cut[owner[begins]].astype(np.int64), np.stack([points[begins], points[end[begins]]], axis=1)


def clause_counts(
    ranges: np.ndarray, cue_at: np.ndarray, cue_category: np.ndarray, categories: int
) -> np.ndarray:
    """Cue matches per clause and category (a match belongs to the clause holding its first token)."""
    counts = np.zeros((len(ranges), categories), np.int32)
    if not len(ranges) or not len(cue_at):
        return counts
    clause = np.searchsorted(ranges[:, 0], cue_at, "right") - 1
    inside = (clause >= 0) & (cue_at < ranges[np.maximum(clause, 0), 1])
    np.add.at(counts, (clause[inside], cue_category[inside]), 1)
    return counts


def with_clauses(probs: np.ndarray, owners: np.ndarray, clause_probs: np.ndarray) -> np.ndarray:
    """Each sentence's probabilities mixed with the best of its clauses' (CLAUSE_WEIGHT, see above)."""
    mixed = probs.astype(np.float64)  # a new array: the caller's stays as it is
    if not len(owners):
        return mixed
    best = mixed.copy()
    np.maximum.at(best, owners, np.asarray(clause_probs, dtype=np.float64))
    return (1.0 - CLAUSE_WEIGHT) * mixed + CLAUSE_WEIGHT * best


def clause_features(
    table: SentenceTable, classifier: SentenceClassifier
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner sentence of each clause, the clauses' feature keys end to end, each clause's number of keys):
    each clause is read as a sentence of its own — its lemmas, its cue counts, its length, the speech marks of
    its sentence (the subject mark: its first clause). The classifier predicts them with its sentences."""
    owners, ranges = clause_ranges(table.tokens, classifier.cuts.ends(table.lower), table.words_before)
    if not len(owners):
        return owners, np.zeros(0, np.uint64), np.zeros(0, np.int64)
    words = table.words_before
    dialogue, quote, _ = table.marks()
    first = np.ones(len(owners), dtype=bool)
    first[1:] = owners[1:] != owners[:-1]
    subject = np.asarray(table.subject, dtype=bool)[owners] & first
    flags = np.stack([np.asarray(dialogue)[owners], np.asarray(quote)[owners], subject], axis=1)
    counts = clause_counts(ranges, table.cue_at, table.cue_category, len(CATEGORIES))
    lengths = (words[ranges[:, 1]] - words[ranges[:, 0]]).astype(np.int32)
    keys, sizes = sentence_keys(table.lemmas, table.alpha, ranges, counts, lengths, flags, classifier.markers)
    return owners, keys, sizes
