"""The fast paths give exactly what the plain ones give: the classifier's batched features and the appearance
phrases counted in numpy (features.py), and the backward read of the words before a name (names.py)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from spacy.attrs import IS_ALPHA, LEMMA
from spacy.matcher import Matcher

from bookreader.nlp import ChapterText, get_pipeline
from bookreader.nlp.components import CueMatcher, SentenceClassifier, SentenceTable
from bookreader.nlp.names import _PREVIOUS_WORDS, _WINDOW, _previous_words
from bookreader.nlp.ranking import Params
from bookreader.nlp.text import DIALOGUE_START, opens_dialogue

_EDGES = (
    "Yes. No! “Go.” — Да. Он. A tall man in a grey coat stood by the window; the room was dark, the fire low,"
    " the wind cold. \u00a0 … 1854. Mr. Holmes rose.\n\nКомната была большая и тёмная, с дубовым полом."
)


def _probabilities(language: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    pipeline = get_pipeline(language)
    classifier = pipeline.spacy.get_pipe("br_classifier")
    assert isinstance(classifier, SentenceClassifier) and classifier.bow is not None, (
        "the shipped model is BOW"
    )
    doc = pipeline.run(text)
    table: SentenceTable = doc.user_data["br"]
    assert table.sentence_probs is not None  # the whole sentences' (clauses.py mixes theirs in after)
    values = doc.to_array([LEMMA, IS_ALPHA])
    reference = classifier.textcat.model.predict(
        classifier.feature_docs(table, values[:, 0], values[:, 1].astype(bool))
    )
    return table.sentence_probs, np.asarray(reference)[:, classifier.order]


@pytest.mark.parametrize(("fixture", "language"), [("moby_dick", "en"), ("russian_book", "ru")])
def test_batched_features_equal_per_sentence_features(
    fixture: str, language: str, request: pytest.FixtureRequest
) -> None:
    chapters: list[ChapterText] = request.getfixturevalue(fixture)
    checked = 0
    for chapter in chapters[:12]:
        if not chapter.text.strip():
            continue
        batched, reference = _probabilities(language, chapter.text)
        assert batched.shape == reference.shape and batched.shape[0] > 0
        assert np.array_equal(batched, reference)  # bit for bit: the same keys summed in the same order
        checked += batched.shape[0]
    assert checked > 100


@pytest.mark.parametrize("language", ["en", "ru"])
def test_batched_features_on_edge_sentences(language: str) -> None:
    batched, reference = _probabilities(language, _EDGES)
    assert batched.shape[0] >= 8
    assert np.array_equal(batched, reference)


def test_previous_words_window_equals_the_whole_search() -> None:
    rng = random.Random(11)
    alphabet = ["a", "Bc", "д", "ё", "_", "1", " ", " ", ",", ".", "—", "\n", "'", "«", "\u00a0"]
    checked = 0
    for _ in range(1500):
        sentence = "".join(
            rng.choice(alphabet) * rng.choice((1, 1, 2, 5, 30)) for _ in range(rng.randint(1, 60))
        )
        for start in {rng.randrange(len(sentence) + 1) for _ in range(6)} | {len(sentence)}:
            whole = _PREVIOUS_WORDS.search(sentence, 0, start)
            fast = _previous_words(sentence, start)
            assert (whole.groups() if whole else None) == fast, (sentence, start)
            checked += start > _WINDOW and whole is not None
    assert checked > 300  # the window was taken, not only the short path


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_scorer_skips_only_sentences_the_rules_could_not_type(language: str) -> None:
    """scoring.may_classify lets the scorer skip `classify` where no type can reach MIN_EVIDENCE: over every
    corpus sentence, even with two names (the most a person adds), a typed sentence is never skipped — and
    most sentences are skipped, or the shortcut would not pay."""
    from training.corpus import load

    from bookreader.nlp.scoring import classify, may_classify

    pipeline = get_pipeline(language)
    typed = skipped = 0
    rows = load(language)[::3]
    for row in rows:
        table: SentenceTable = pipeline.run(row["text"], single=True).user_data["br"]
        if not table.spans:
            continue
        possible = may_classify(table.counts, table.subject)[0]
        kind = classify(
            table.counts[0].tolist(), int(table.words[0]), 2, row["text"].strip(), table.subject[0]
        )[0]
        assert possible or kind is None, row["text"]
        typed += kind is not None
        skipped += not possible
    assert typed > 100 and skipped > len(rows) / 3


def test_dialogue_opening_read_off_the_first_character_equals_the_regex() -> None:
    rng = random.Random(5)
    alphabet = [" ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "a", "Я", *"\"“«„'‘—–-", "»", "”", "1"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        start = rng.randint(0, len(text))
        end = rng.randint(start, len(text))
        assert opens_dialogue(text, start, end) == (DIALOGUE_START.match(text[start:end]) is not None), (
            text,
            start,
            end,
        )


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_combination_of_the_model_alone_makes_no_rule_types_and_scores_the_same(language: str) -> None:
    """With the fitted model weight 1.0 (both shipped models) the scorer skips the rule typer: what it gives
    equals what the same weight a hair under 1.0 gives with the rule types made and weighed at ~0."""
    pipeline = get_pipeline(language)
    scorer = pipeline.scorer
    assert scorer.params.model_weight == 1.0, "the shipped fit reads the model alone"
    text = (_EDGES + " ") * 3
    fast = pipeline.run(text).user_data["br"].scored
    shipped = scorer.params
    fields = {f: getattr(shipped, f) for f in shipped.__struct_fields__}
    try:
        scorer.params = Params(**(fields | {"model_weight": 1.0 - 1e-12}))
        slow = pipeline.run(text).user_data["br"].scored
    finally:
        scorer.params = shipped
    assert len(fast) == len(slow) and any(kind for kind, _, _ in fast)
    for (kind, confidence, priority), (kind2, confidence2, priority2) in zip(fast, slow, strict=True):
        assert kind == kind2
        assert confidence == pytest.approx(confidence2, abs=1e-3)
        assert priority == pytest.approx(priority2, abs=1e-3)


_APPEARANCE = (  # both shapes, one after another, at a sentence end and cut by one
    "A man with red hands. A girl with her white arms and in the black hand, with red red fingers; in grey."
    " With pale hands with pale hands, in his grey head. With grey\n\nСтарик с белыми руками и с его белыми"
    " руками, в красной ладони, со бледной шеей. С белой рукой с белой"
)


@pytest.mark.parametrize(("fixture", "language"), [("moby_dick", "en"), ("russian_book", "ru")])
def test_appearance_phrases_counted_in_numpy_equal_the_matcher(
    fixture: str, language: str, request: pytest.FixtureRequest
) -> None:
    pipeline = get_pipeline(language)
    cues = pipeline.spacy.get_pipe("br_cues")
    assert isinstance(cues, CueMatcher)
    matcher = Matcher(pipeline.spacy.vocab)
    matcher.add("appearance", [cues.appearance.pattern])
    chapters: list[ChapterText] = request.getfixturevalue(fixture)
    found = 0
    for text in [_APPEARANCE, *(c.text for c in chapters[:40])]:
        doc = pipeline.run(text)
        table: SentenceTable = doc.user_data["br"]
        if not table.spans:
            continue
        counted = cues.appearance.counts(table.lower, table.alpha, table.lemmas, table.tokens)
        assert counted.tolist() == [len(matcher(doc[a:b])) for a, b in table.tokens.tolist()]
        found += int(counted.sum())
    assert found >= 5  # the made-up sentences alone have both shapes in both languages
