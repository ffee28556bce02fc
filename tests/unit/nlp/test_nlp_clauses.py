"""Clauses of long sentences (nlp/clauses.py): where they are cut, and how their probabilities mix in."""

from __future__ import annotations

import numpy as np
import pytest
from spacy.attrs import IS_ALPHA, LOWER

from bookreader.nlp import get_pipeline
from bookreader.nlp.clauses import CLAUSE_WEIGHT, MIN_CLAUSE_WORDS, clause_counts, clause_ranges, with_clauses
from bookreader.nlp.components import SentenceClassifier, SentenceTable
from bookreader.nlp.features import sentence_features

_LONG = (  # Stevenson, Kidnapped, ch. 9 (public domain): a portrait between plot, as one sentence
    "He was smallish in stature, but well set and as nimble as a goat; his face was of a good open "
    "expression, but sunburnt very dark, and heavily freckled and pitted with the small-pox; his eyes were "
    "unusually light and had a kind of dancing madness in them, that was both engaging and alarming; and when "
    "he took off his great-coat, he laid a pair of fine silver-mounted pistols on the table, and I saw that "
    "he was belted with a great sword."
)


def _run(language: str, text: str):
    pipeline = get_pipeline(language)
    doc = pipeline.run(text)
    classifier = pipeline.spacy.get_pipe("br_classifier")
    assert isinstance(classifier, SentenceClassifier)
    return doc, doc.user_data["br"], classifier


def test_cuts_after_stop_marks_and_before_a_linked_comma() -> None:
    doc, _, classifier = _run("en", "A grey house stood there; the roof sagged, and a dog barked: loud.")
    ends = classifier.cuts.ends(doc.to_array(LOWER))
    cut_after = [doc[i].text for i in np.flatnonzero(ends)]
    assert cut_after == [";", ",", ":"]


def test_a_short_clause_joins_the_next_and_one_clause_is_no_clause() -> None:
    alpha = np.asarray([1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0], dtype=bool)  # "a b ; c d e f g h i ."
    ends = np.zeros(11, dtype=bool)
    ends[2] = True
    owners, ranges = clause_ranges(np.asarray([[0, 11]]), ends, _before(alpha))
    assert owners.tolist() == [] and ranges.shape == (0, 2)  # "a b ;" (2 words) joins the rest: one clause
    alpha[:2] = True
    long_first = np.ones(16, dtype=bool)
    ends = np.zeros(16, dtype=bool)
    ends[6] = True  # 7 words, then 9
    owners, ranges = clause_ranges(np.asarray([[0, 16]]), ends, _before(long_first))
    assert owners.tolist() == [0, 0] and ranges.tolist() == [[0, 7], [7, 16]]


def _before(alpha: np.ndarray) -> np.ndarray:
    """Alphabetic tokens before each token (and all of them last): `SentenceTable.words_before`."""
    return np.concatenate([[0], np.cumsum(alpha, dtype=np.int64)])


def _clause_ranges_one_by_one(
    tokens: np.ndarray, ends: np.ndarray, alpha: np.ndarray
) -> tuple[list[int], list[list[int]]]:
    """The plain reading of the rule: sentence by sentence, a clause of under MIN_CLAUSE_WORDS words takes the
    next one in, and a sentence of one clause has none."""
    words = _before(alpha).tolist()
    at = (np.flatnonzero(ends) + 1).tolist()
    owners: list[int] = []
    ranges: list[list[int]] = []
    for i, (a, b) in enumerate(tokens.tolist()):
        clauses: list[list[int]] = []
        start = a
        for cut in [*(t for t in at if a < t < b), b]:
            if clauses and words[clauses[-1][1]] - words[clauses[-1][0]] < MIN_CLAUSE_WORDS:
                clauses[-1][1] = cut
            else:
                clauses.append([start, cut])
            start = cut
        if len(clauses) > 1:
            owners += [i] * len(clauses)
            ranges += clauses
    return owners, ranges


def test_the_clauses_of_all_sentences_at_once_equal_the_one_by_one_reading() -> None:
    rng = np.random.default_rng(11)
    cut_somewhere = 0
    for _ in range(800):
        n = int(rng.integers(1, 200))
        alpha = rng.random(n) < rng.random()
        ends = rng.random(n) < rng.random() * 0.5
        bounds = np.concatenate([[0], np.sort(rng.integers(0, n + 1, int(rng.integers(1, 20)))), [n]])
        tokens = np.stack([bounds[:-1], bounds[1:]], axis=1)  # in order, some empty
        if rng.random() < 0.3:  # a token shared by two sentences (a sentence end inside a token)
            tokens[1:, 0] = np.maximum(tokens[1:, 0] - 1, 0)
            tokens[:, 1] = np.maximum(tokens[:, 1], tokens[:, 0])
        owners, ranges = clause_ranges(tokens, ends, _before(alpha))
        assert (owners.tolist(), ranges.tolist()) == _clause_ranges_one_by_one(tokens, ends, alpha)
        assert owners.dtype == ranges.dtype == np.int64 and ranges.shape == (len(owners), 2)
        cut_somewhere += len(owners) > 0
    assert cut_somewhere > 200


def test_cue_matches_count_in_the_clause_that_holds_them() -> None:
    ranges = np.asarray([[0, 5], [5, 9], [12, 20]])
    counts = clause_counts(ranges, np.asarray([1, 4, 5, 10, 13]), np.asarray([0, 2, 2, 1, 1]), 3)
    assert counts.tolist() == [[1, 0, 1], [0, 0, 1], [0, 1, 0]]  # token 10 lies between clauses


def test_mixing_lifts_a_sentence_towards_its_best_clause_and_leaves_the_rest_exact() -> None:
    probs = np.asarray([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32)
    mixed = with_clauses(probs, np.asarray([1, 1]), np.asarray([[0.9, 0.1], [0.2, 0.3]]))
    assert mixed[0].tolist() == probs[0].astype(np.float64).tolist()  # no clauses: bit for bit
    assert mixed[1] == pytest.approx([(1 - CLAUSE_WEIGHT) * 0.3 + CLAUSE_WEIGHT * 0.9, 0.4])


def test_the_batched_clause_features_are_the_clause_read_as_a_sentence() -> None:
    """Each clause's probabilities equal the model's on the clause run alone as one sentence's features."""
    doc, table, classifier = _run("en", _LONG)
    assert table.probs is not None and table.sentence_probs is not None
    values = doc.to_array([IS_ALPHA, LOWER])
    owners, ranges = clause_ranges(
        table.tokens, classifier.cuts.ends(values[:, 1]), _before(values[:, 0].astype(bool))
    )
    assert set(owners.tolist()) == {0} and len(owners) >= 3  # cut at ", but", ";", ", and", ";"
    best = np.zeros(table.probs.shape[1])
    for a, b in ranges.tolist():
        start, end = doc[a].idx, doc[b - 1].idx + len(doc[b - 1])
        alone = get_pipeline("en").run(doc.text[start:end], single=True).user_data["br"]
        best = np.maximum(best, alone.sentence_probs[0])
    expected = with_clauses(table.sentence_probs, np.asarray([0]), best.reshape(1, -1))
    assert np.allclose(table.probs, expected, atol=0.02)  # cue phrases of the Matcher count per sentence only
    lifted = best > table.sentence_probs[0] + 0.02
    assert lifted.any()  # some clause reads more of a type than the whole sentence does …
    assert np.all(table.probs[0][lifted] > table.sentence_probs[0][lifted])  # … and lifts it
    assert np.all(table.probs[0] >= table.sentence_probs[0] - 1e-6)  # a clause never lowers it


def test_features_of_a_sentence_without_clauses_are_unchanged() -> None:
    doc, table, _ = _run("ru", "Комната была большая и тёмная.")
    assert table.probs is not None and np.array_equal(table.probs, table.sentence_probs)
    assert sentence_features(doc, table, 0)[:2] == ["комната", "быть"]


def test_the_table_keeps_the_cue_matches() -> None:
    _, table, _ = _run("en", "The tall man in a grey coat stood in the dark hall.")
    assert isinstance(table, SentenceTable) and len(table.cue_at) == len(table.cue_category) > 0
