"""Ranking for pictures (issue 11 point 4): what a chapter illustrates first is its most paintable scene —
concrete, self-contained, narrated (not dialogue), with a named place or person — and every passage keeps
exact offsets, without overlaps or duplicates."""

from __future__ import annotations

import itertools
import re

import pytest
from training.corpus import chapters, load

from bookreader.nlp import ChapterText, analyze_chapter

SCENE_EN = (
    "Thornfield Hall stood on a low green hill above the river, a grey stone house of three storeys with "
    "battlements round the top, its tall narrow windows glowing red in the light of the setting sun."
)
SCENE_RU = (
    "Усадьба Марьино стояла на пологом холме над рекой: серый каменный дом в два этажа с белыми колоннами, "
    "высокими узкими окнами и зелёной железной крышей, а за ним темнел старый липовый сад."
)


def ranked(text: str, language: str) -> list:
    found = analyze_chapter(ChapterText(1, text), language)
    return sorted(found, key=lambda d: (-d.priority, d.start))


@pytest.mark.parametrize(
    ("language", "scene", "others"),
    [
        (
            "en",
            SCENE_EN,
            [
                '"The hall was dark, and the walls were hung with red and gold," she said, "and I was afraid."',
                "It was grey and cold, and it was dark.",
                "He thought about the letter for a long while and decided to answer it in the morning.",
                "He ran to the door, and then he ran down the stairs.",
            ],
        ),
        (
            "ru",
            SCENE_RU,
            [
                "— Зала была тёмная, стены красные с золотом, — сказала она, — и мне было страшно.",
                "Было серо и холодно, и было темно.",
                "Он долго думал о письме и решил ответить на него утром.",
                "Он побежал к двери, а потом вниз по лестнице.",
            ],
        ),
    ],
)
def test_the_named_concrete_scene_is_illustrated_first(language: str, scene: str, others: list[str]) -> None:
    for order in ([*others[:2], scene, *others[2:]], [*others, scene]):
        found = ranked("\n".join(order), language)
        assert found and found[0].text == scene, [(d.text[:40], d.priority) for d in found]


@pytest.mark.parametrize(
    ("language", "narrated", "spoken"),
    [
        (
            "en",
            "The kitchen was low and dark, with a stone floor, black beams and copper pans above the fire.",
            '"The kitchen was low and dark, with a stone floor, black beams and copper pans above the fire."',
        ),
        (
            "ru",
            "Кухня была низкая и тёмная, с каменным полом, чёрными балками и медными кастрюлями над очагом.",
            "— Кухня была низкая и тёмная, с каменным полом, чёрными балками и медными кастрюлями над очагом.",
        ),
    ],
)
def test_dialogue_never_outranks_the_same_words_narrated(language: str, narrated: str, spoken: str) -> None:
    by_text = {d.text: d.priority for d in ranked(f"{narrated}\n{spoken}", language)}
    assert narrated in by_text
    assert by_text.get(spoken, 0.0) < by_text[narrated]


def test_a_named_person_lifts_an_appearance_over_a_pronoun() -> None:
    looks = " was a tall, lean old man with a grey beard, pale blue eyes and a shabby brown coat."
    named, pronoun = "Mr. Rochester" + looks, "He" + looks
    by_text = {d.text: d.priority for d in ranked(f"{pronoun}\n{named}", "en")}
    assert by_text[named] > by_text[pronoun]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_passages_of_real_chapters_slice_exactly_without_overlap_or_duplicates(language: str) -> None:
    for window in chapters([r for r in load(language) if r["split"] == "test"]):
        text = "\n".join(r["text"] for r in window)
        found = analyze_chapter(ChapterText(1, text), language)
        for d in found:
            assert text[d.start : d.end] == d.text
            assert d.text == d.text.strip() and 0.0 <= d.confidence <= 1.0 and d.priority > 0
        for a, b in itertools.pairwise(found):
            assert a.end <= b.start, "passages do not overlap"
        normalised = [re.sub(r"\W+", " ", d.text.lower()).strip() for d in found]
        assert len(normalised) == len(set(normalised)), "no duplicates"


def test_combining_all_sentences_at_once_gives_what_one_at_a_time_gives() -> None:
    """The scorer combines rules and model for a whole doc in numpy (ranking.combine_all): bit for bit what
    `combine(..., "both")` gives per sentence, on float32 probabilities as the classifier returns them."""
    import numpy as np

    from bookreader.nlp.ranking import TYPES, Params, combine, combine_all

    rng = np.random.default_rng(11)
    params = Params(
        "t", 0.7, 0.3, thresholds={"location": 0.25, "character": 0.4},
        calibration=[(0.2, 0.1), (0.5, 0.6), (0.9, 0.95)],
        calibration_by_type={"atmosphere": [(0.1, 0.2), (0.6, 0.7)]},
    )  # fmt: skip
    probs = rng.random((500, len(TYPES))).astype(np.float32) ** 3
    rules = [
        (TYPES[k] if k < len(TYPES) else None, float(c))
        for k, c in zip(rng.integers(0, 7, 500), rng.random(500), strict=False)
    ]
    one_by_one = [combine(k, c, p, params, "both") for (k, c), p in zip(rules, probs.tolist(), strict=True)]
    assert combine_all(rules, probs, params) == one_by_one
    assert sum(k is not None for k, _ in one_by_one) > 50  # both branches exercised


def test_the_fitted_ranker_puts_a_described_scene_above_speech_about_it() -> None:
    """The shipped calibration carries a ranker fitted on dev; a passage it finds hopeless is not stored."""
    from bookreader.nlp.ranking import MIN_CHANCE, RANKER_FEATURES, load_params
    from bookreader.nlp.versions import MODELS

    for language in ("en", "ru"):
        params = load_params(__import__("pathlib").Path(str(MODELS.joinpath(language, "calibration.json"))))
        assert len(params.ranker) == len(RANKER_FEATURES) + 1
        assert 0 < MIN_CHANCE < 0.5
    scene = ranked(SCENE_EN, "en")
    spoken = ranked(f"“{SCENE_EN}” he said to her, and asked whether she had ever seen it.", "en")
    assert scene and (not spoken or scene[0].priority > spoken[0].priority)
