"""The classifier's input for all sentences of a doc at once, in numpy instead of one Python loop per sentence.

The shipped model is spaCy's bag-of-words textcat (`extract_ngrams >> sparse_linear >> softmax`). Its
`extract_ngrams` takes one doc per sentence and runs `numpy.unique` on each; here the features of every
sentence (the lemma hashes of its words, then its markers, as `sentence_markers` lists them) are laid out
in one flat array, n-grams are hashed in one call and cut where they would cross a sentence, and one
`lexsort` gives each sentence's sorted unique keys and counts — the same (keys, values, lengths) triple,
so the sparse layer sums the same weights in the same order and the probabilities are bit for bit equal
(tests/unit/nlp/test_nlp_features.py checks it against the per-sentence path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from spacy.attrs import IS_ALPHA, LEMMA
from spacy.matcher import PhraseMatcher
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.vocab import Vocab

from .lexicon import CATEGORIES
from .text import DIALOGUE_START, QUOTE_CHARS

if TYPE_CHECKING:
    from .table import SentenceTable


# TextCatBOW's chain, its output layer with exclusive classes (the shipped model) and without
BOW_CHAINS = {
    f"with_cpu(extract_ngrams>>resizable(sparse_linear))>>with_cpu({output})"
    for output in ("softmax_activation", "logistic")
}


class BowLayers:
    """The layers after `extract_ngrams` of a `spacy.TextCatBOW` model, or `None` from `find`."""

    def __init__(self, ngram_size: int, sparse: Any, output: Any) -> None:
        self.ngram_size = ngram_size
        self.sparse = sparse  # resizable(sparse_linear): (keys, values, lengths) → scores
        self.output = output  # with_cpu(softmax_activation) (exclusive classes) or with_cpu(logistic)
        self.ops = sparse.ops

    @classmethod
    def find(cls, model: Any) -> BowLayers | None:
        """The known chain `with_cpu(extract_ngrams>>resizable(sparse_linear))>>with_cpu(softmax_activation |
        logistic)`; any other architecture is left to the model's own `predict` (None)."""
        if model.name not in BOW_CHAINS:
            return None
        inner = model.layers[0].layers[0]
        extract, sparse = inner.layers
        if extract.name != "extract_ngrams" or len(model.layers) != 2:
            return None
        return cls(int(extract.attrs["ngram_size"]), sparse, model.layers[1])

    def predict(self, keys: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Probabilities (n, labels) of n feature sequences laid end to end in `keys` (`lengths` each)."""
        n = len(lengths)
        owner = np.repeat(np.arange(n), lengths)
        grams, grams_owner = [keys], [owner]
        for size in range(2, self.ngram_size + 1):
            if len(keys) < size:
                break
            same = owner[: len(owner) - size + 1] == owner[size - 1 :]
            grams.append(self.ops.ngrams(size, keys)[same])
            grams_owner.append(owner[: len(owner) - size + 1][same])
        flat, flat_owner = np.concatenate(grams), np.concatenate(grams_owner)
        # Sorted by (sentence, key), as np.lexsort((flat, flat_owner)) would, 5x faster: the keys by quicksort,
        # then the sentences by a stable sort, a radix sort on 16-bit numbers. Only the sorted values are used,
        # and equal (sentence, key) pairs are interchangeable, so the result is the same.
        by_key = np.argsort(flat)
        owners = flat_owner[by_key].astype(np.uint16 if n < 2**16 else np.int64)
        order = by_key[np.argsort(owners, kind="stable")]
        flat, flat_owner = flat[order], flat_owner[order]
        new = np.ones(len(flat), dtype=bool)
        new[1:] = (flat[1:] != flat[:-1]) | (flat_owner[1:] != flat_owner[:-1])
        starts = np.flatnonzero(new)
        counts = np.diff(np.append(starts, len(flat))).astype("f")
        unique_lengths = np.bincount(flat_owner[starts], minlength=n).astype("int32")
        scores = self.sparse.predict((flat[starts], counts, unique_lengths))
        return np.asarray(self.output.predict(scores))


def marker_table(hashes: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes of the fixed markers in `sentence_markers` order, hashes of @len0…@len5)."""
    fixed = [hashes[f"@{c}"] for c in CATEGORIES] + [hashes[m] for m in ("@dialogue", "@quote", "@subject")]
    return np.asarray(fixed, dtype=np.uint64), np.asarray([hashes[f"@len{k}"] for k in range(6)], np.uint64)


def sentence_keys(
    lemmas: np.ndarray,
    alpha: np.ndarray,
    tokens: np.ndarray,
    counts: np.ndarray,
    words: np.ndarray,
    flags: np.ndarray,
    markers: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """(keys end to end, length of each sentence's part): per sentence the lemma hashes of its alphabetic
    tokens, then ≤ 3 of each cue category, @dialogue / @quote / @subject (`flags` columns) and @len<k>."""
    n = len(tokens)
    first, last = tokens[:, 0], tokens[:, 1]
    spans = last - first
    owner = np.repeat(np.arange(n), spans)
    index = np.arange(int(spans.sum())) - np.repeat(np.cumsum(spans) - spans, spans) + np.repeat(first, spans)
    keep = alpha[index]
    word_keys, word_owner = lemmas[index[keep]], owner[keep]
    n_words = np.bincount(word_owner, minlength=n)
    fixed, lengths = markers
    repeat = np.concatenate(
        [np.minimum(counts, 3), flags.astype(counts.dtype), np.ones((n, 1), counts.dtype)], axis=1
    )
    table = np.empty(repeat.shape, dtype=np.uint64)
    table[:, :-1] = fixed
    table[:, -1] = lengths[np.minimum(words // 8, 5)]
    marker_keys = np.repeat(table.ravel(), repeat.ravel())
    n_markers = repeat.sum(axis=1)
    marker_owner = np.repeat(np.arange(n), n_markers)
    total = n_words + n_markers
    begin = np.cumsum(total) - total
    keys = np.empty(int(total.sum()), dtype=np.uint64)
    word_rank = np.arange(len(word_owner)) - (np.cumsum(n_words) - n_words)[word_owner]
    keys[begin[word_owner] + word_rank] = word_keys
    marker_rank = np.arange(len(marker_owner)) - (np.cumsum(n_markers) - n_markers)[marker_owner]
    keys[begin[marker_owner] + n_words[marker_owner] + marker_rank] = marker_keys
    return keys, total


class CuePhrases:
    """`PhraseMatcher(vocab, attr="LEMMA")` with one key per cue category, answering (token, category)
    arrays. One-token patterns (nearly all: the lexicons hold words) are a sorted array of lemma hashes
    looked up for every token at once; only the few longer ones ("half-open") go through a PhraseMatcher.
    The same matches: a PhraseMatcher reports a (key, start, end) once however many equal patterns it has."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.longer = PhraseMatcher(vocab, attr="LEMMA")
        self.single: dict[int, set[int]] = {}
        self.ids: dict[int, int] = {}  # match id of the longer patterns' key → category
        self._compile()

    def add(self, category: int, patterns: list[Doc]) -> None:
        longer = [p for p in patterns if len(p) > 1]
        self.single.setdefault(category, set()).update(p[0].lemma for p in patterns if len(p) == 1)
        if longer:
            self.ids[self.vocab.strings.add(CATEGORIES[category])] = category
            self.longer.add(CATEGORIES[category], longer)
        self._compile()

    def _compile(self) -> None:
        pairs = sorted((h, c) for c, hashes in self.single.items() for h in hashes)
        keys = np.asarray([h for h, _ in pairs], dtype=np.uint64)
        self.keys, first = np.unique(keys, return_index=True)  # sorted lemma hashes
        self.first = np.append(first, len(pairs))  # key i's categories: cats[first[i]:first[i + 1]]
        self.cats = np.asarray([c for _, c in pairs], dtype=np.int64)

    def __call__(self, doc: Doc, lemmas: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(start token, category) of every match (`lemmas`: the doc's LEMMA hashes, when the caller has them)."""
        if lemmas is None:
            lemmas = doc.to_array(LEMMA)
        at, category = np.zeros(0, np.int64), np.zeros(0, np.int64)
        if len(self.keys) and len(doc):
            where = np.minimum(np.searchsorted(self.keys, lemmas), len(self.keys) - 1)
            tokens = np.flatnonzero(self.keys[where] == lemmas)
            key = where[tokens]
            n = self.first[key + 1] - self.first[key]
            at = np.repeat(tokens, n).astype(np.int64)
            rank = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
            category = self.cats[np.repeat(self.first[key], n) + rank]
        if self.ids:
            found = np.asarray(self.longer(doc), dtype=np.uint64).reshape(-1, 3)
            ids = np.asarray(sorted(self.ids), dtype=np.uint64)
            cats = np.asarray([self.ids[k] for k in sorted(self.ids)], dtype=np.int64)
            at = np.concatenate([at, found[:, 1].astype(np.int64)])
            category = np.concatenate([category, cats[np.searchsorted(ids, found[:, 0])]])
        return at, category


class AppearancePhrases:
    """Appearance phrases per sentence ("with grey eyes", "in his grey eyes", "с седой бородой"): the matches
    spaCy's Matcher finds of `pattern`, counted for all tokens at once in numpy. A match is
    (s, s + 3): preposition, colour, body part — or (s, s + 4): with any one word between (the optional token);
    the Matcher reports each distinct (start, end) once, and the two shapes never share one, so a sentence's
    count is the sum of both (tests/unit/nlp/test_nlp_fast_paths.py checks it against the Matcher)."""

    PREPOSITIONS = ("with", "in", "с", "в", "со")

    def __init__(self, colours: list[str], body: list[str]) -> None:
        self.pattern = [
            {"LOWER": {"IN": list(self.PREPOSITIONS)}},
            {"IS_ALPHA": True, "OP": "?"},
            {"LEMMA": {"IN": colours}},
            {"LEMMA": {"IN": body}},
        ]
        self.preps, self.colours, self.body = (
            np.unique(np.asarray([get_string_id(w) for w in words], dtype=np.uint64))
            for words in (self.PREPOSITIONS, colours, body)
        )

    def counts(
        self, lower: np.ndarray, alpha: np.ndarray, lemmas: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Matches inside each (start, end) token range of `rows`."""
        prep, colour, body = (
            _members(lower, self.preps),
            _members(lemmas, self.colours),
            _members(lemmas, self.body),
        )
        three, four = np.zeros(len(lower) + 1, np.int64), np.zeros(len(lower) + 1, np.int64)
        k = max(len(lower) - 2, 0)  # starts of a three-token match
        np.cumsum(prep[:k] & colour[1 : k + 1] & body[2 : k + 2], out=three[1 : k + 1])
        three[k + 1 :] = three[k]
        k = max(len(lower) - 3, 0)
        np.cumsum(prep[:k] & alpha[1 : k + 1] & colour[2 : k + 2] & body[3 : k + 3], out=four[1 : k + 1])
        four[k + 1 :] = four[k]
        a, b = rows[:, 0], rows[:, 1]
        found: np.ndarray = three[np.maximum(b - 2, a)] - three[a] + four[np.maximum(b - 3, a)] - four[a]
        return found


def _members(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Bool per value: is it one of the sorted `keys`?"""
    if not len(keys):
        return np.zeros(len(values), dtype=bool)
    where = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    hit: np.ndarray = keys[where] == values
    return hit


def sentence_markers(table: SentenceTable, i: int) -> list[str]:
    """Non-word features of sentence i: cue categories (≤ 3 each), dialogue, quotes, subject, length."""
    markers = []
    for c, count in enumerate(table.counts[i].tolist()):
        markers += [f"@{CATEGORIES[c]}"] * min(count, 3)
    text = table.text[table.spans[i][0] : table.spans[i][1]]
    if DIALOGUE_START.match(text):
        markers.append("@dialogue")
    if QUOTE_CHARS.search(text):
        markers.append("@quote")
    if table.subject[i]:
        markers.append("@subject")
    markers.append(f"@len{min(int(table.words[i]) // 8, 5)}")
    return markers


def sentence_features(doc: Doc, table: SentenceTable, i: int) -> list[str]:
    """What the classifier sees of sentence i, as words: lower-case lemmas of its words + markers.
    (Training builds feature docs from these; at run time `SentenceClassifier` hashes the same.)"""
    a, b = table.tokens[i].tolist()
    strings = doc.vocab.strings
    words = [strings[h] for h, alpha in doc.to_array([LEMMA, IS_ALPHA])[a:b].tolist() if alpha]
    return words + sentence_markers(table, i)
