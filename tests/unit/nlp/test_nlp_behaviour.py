"""Dedup, determinism, edge inputs, language handling, pickling, optional trained pipeline."""

from __future__ import annotations

import pickle
from pathlib import Path

import msgspec
import pytest

from bookreader.nlp import (
    ChapterText,
    analyze_book,
    analyze_chapter,
    analyze_chunk,
    detect_book_language,
    get_pipeline,
    merge_chunks,
    warm_up,
)
from bookreader.nlp.text import sentence_spans

SCENE = "The old church stood on a green hill above the river, its grey stone tower black against the sky."


def test_repeated_passages_are_kept_once() -> None:
    variant = SCENE.replace("old church", "old, old church")
    text = "\n\n".join([SCENE, "Nothing happened.", SCENE, variant, "He thought about it."])
    found = analyze_chapter(ChapterText(1, text), "en")
    assert len(found) == 1
    assert found[0].text in (SCENE, variant)  # the better-ranked of the two (their model scores differ)


def test_output_is_deterministic(moby_dick: list[ChapterText]) -> None:
    chapters = moby_dick[10:30]
    first = msgspec.json.encode(analyze_book(chapters, "en"))
    second = msgspec.json.encode(analyze_book(list(chapters), "en"))
    assert first == second


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", "Hi.", "Да.", "—", "12345 678", "A" * 5000])
@pytest.mark.parametrize("language", ["en", "ru", None])
def test_empty_and_short_text(text: str, language: str | None) -> None:
    analysis = analyze_book([ChapterText(1, text)], language)
    assert analysis.descriptions == []
    assert analysis.characters == []


def test_very_long_sentence_is_not_a_description() -> None:
    sentence = "The room had " + ", ".join(["a red carpet and a black oak table"] * 40) + "."
    assert len(sentence) > 1000
    assert analyze_chapter(ChapterText(1, sentence), "en") == []


def test_other_languages_yield_nothing() -> None:
    polish = (
        "Stary kościół stał na zielonym wzgórzu nad rzeką, jego szara kamienna wieża czerniała na tle nieba."
    )
    assert analyze_book([ChapterText(1, polish)], "pl").descriptions == []
    assert analyze_book([ChapterText(1, polish * 5)], None).language == "other"


@pytest.mark.parametrize(
    ("declared", "text", "expected"),
    [
        ("en-US", "Whatever text.", "en"),
        ("rus", "Whatever text.", "ru"),
        (
            None,
            "Старая церковь стояла на зелёном холме над рекой, и её серая башня чернела на фоне неба.",
            "ru",
        ),
        (None, SCENE + " And the wind was in the trees of the churchyard.", "en"),
        ("und", SCENE + " And the wind was in the trees of the churchyard.", "en"),
    ],
)
def test_language_is_declared_or_detected(declared: str | None, text: str, expected: str) -> None:
    assert detect_book_language([ChapterText(1, text)], declared) == expected


def test_sentences_do_not_split_at_titles_or_inside_dialogue() -> None:
    text = "Mr. Holmes and Dr. Watson went out. — Куда вы? — спросил он. Потом ушёл."
    pieces = [text[s:e] for s, e in sentence_spans(text, 0, len(text))]
    assert pieces == ["Mr. Holmes and Dr. Watson went out.", "— Куда вы? — спросил он.", "Потом ушёл."]


def test_chunk_results_survive_pickling_between_processes(metamorphosis: list[ChapterText]) -> None:
    chunk = analyze_chunk(metamorphosis, "en")
    restored = pickle.loads(pickle.dumps(chunk))
    assert restored == chunk
    assert merge_chunks([restored], "en") == merge_chunks([chunk], "en")


def test_warm_up_builds_both_pipelines() -> None:
    warm_up(["en", "ru", "fr"])
    assert get_pipeline("en").lexicon.lookup["rooms"]
    assert get_pipeline("ru").lexicon.lookup["комнате"], "Russian lemmas are expanded to all their forms"


def test_trained_pipeline_person_entities_are_used(tmp_path: Path) -> None:
    """A saved spaCy pipeline (here: an entity ruler standing in for a trained NER) adds PERSON names."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Queequeg"}])
    nlp.to_disk(tmp_path / "model")
    # Only sentence-initial mentions: the rules alone do not accept such a name.
    text = "Queequeg entered the room. Queequeg sat down. Queequeg was a tall, tattooed, dark-skinned harpooneer."
    without = analyze_book([ChapterText(1, text)], "en")
    with_model = analyze_book([ChapterText(1, text)], "en", model_name=str(tmp_path / "model"))
    assert without.characters == []
    assert [c.name for c in with_model.characters] == ["Queequeg"]


def test_missing_trained_pipeline_falls_back_to_rules() -> None:
    analysis = analyze_book([ChapterText(1, SCENE)], "en", model_name="xx_no_such_pipeline")
    assert [d.type for d in analysis.descriptions] == ["location"]
