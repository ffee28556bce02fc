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
    from .components import SentenceClassifier, SentenceTable

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


def clause_ranges(tokens: np.ndarray, ends: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner sentence of each clause, (m, 2) token ranges) for the sentences of two or more clauses;
    `tokens`: the sentences' (n, 2) token ranges, `alpha`: IS_ALPHA per token."""
    at = np.flatnonzero(ends) + 1  # a clause starts after each end token
    low = np.searchsorted(at, tokens[:, 0], "right")  # boundaries strictly inside each sentence
    high = np.searchsorted(at, tokens[:, 1], "left")
    words = np.concatenate([[0], np.cumsum(alpha, dtype=np.int64)]).tolist()
    bounds = at.tolist()
    owners: list[int] = []
    ranges: list[tuple[int, int]] = []
    for i in np.flatnonzero(high > low).tolist():
        a, b = tokens[i].tolist()
        start = a
        clauses: list[tuple[int, int]] = []
        for cut in [*bounds[low[i] : high[i]], b]:
            if clauses and words[clauses[-1][1]] - words[clauses[-1][0]] < MIN_CLAUSE_WORDS:
                clauses[-1] = (clauses[-1][0], cut)  # a short clause joins the next
            else:
                clauses.append((start, cut))
            start = cut
        if len(clauses) > 1:
            owners += [i] * len(clauses)
            ranges += clauses
    return np.asarray(owners, dtype=np.int64), np.asarray(ranges, dtype=np.int64).reshape(-1, 2)


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


def clauses_mixed(
    table: SentenceTable,
    lemmas: np.ndarray,
    alpha: np.ndarray,
    lower: np.ndarray,
    classifier: SentenceClassifier,
) -> np.ndarray:
    """`table.sentence_probs` with the clauses' mixed in: each clause is read as a sentence of its own — its
    lemmas, its cue counts, its length, the speech marks of its sentence (the subject mark: its first clause)."""
    assert table.sentence_probs is not None
    owners, ranges = clause_ranges(table.tokens, classifier.cuts.ends(lower), alpha)
    if not len(owners):
        return table.sentence_probs
    words = np.concatenate([[0], np.cumsum(alpha, dtype=np.int64)])
    dialogue, quote, _ = table.marks()
    first = np.ones(len(owners), dtype=bool)
    first[1:] = owners[1:] != owners[:-1]
    subject = np.asarray(table.subject, dtype=bool)[owners] & first
    flags = np.stack([np.asarray(dialogue)[owners], np.asarray(quote)[owners], subject], axis=1)
    counts = clause_counts(ranges, table.cue_at, table.cue_category, len(CATEGORIES))
    lengths = (words[ranges[:, 1]] - words[ranges[:, 0]]).astype(np.int32)
    keys, sizes = sentence_keys(lemmas, alpha, ranges, counts, lengths, flags, classifier.markers)
    clause_probs = classifier.predict_keys(keys, sizes)[:, classifier.order]
    return with_clauses(table.sentence_probs, owners, clause_probs)
