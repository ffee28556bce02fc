"""Clear examples of each description type are found, in both languages; dialogue and abstraction are not."""

from __future__ import annotations

import pytest

from bookreader.nlp import ChapterText, analyze_chapter

CLEAR = [
    (
        "en",
        "location",
        "The room was a large, gloomy chamber with a black oak floor, tall narrow windows and a great stone fireplace.",
    ),
    (
        "en",
        "character",
        "He was a tall, lean old man with a grey beard, pale blue eyes and a shabby brown coat buttoned to the chin.",
    ),
    (
        "en",
        "atmosphere",
        "The fog was thick and cold, the wind howled over the dark moor, and the rain beat against the windows.",
    ),
    pytest.param(
        "en",
        "object",
        "On the table lay an old leather book, a brass candlestick, a silver key and a small wooden box.",
        # en-7 is fitted with model weight 1.0 (the rules, which typed this "object", no longer vote) and its
        # classifier has not learnt "object" (217 train sentences, dev average precision ~0.02): a still life
        # reads as a place. Strict: this fails the day a model types it right again.
        marks=pytest.mark.xfail(strict=True, reason="the en classifier has not learnt object"),
    ),
    (
        "en",
        "action",
        "He seized the sword, leaped over the wall and rushed at the soldiers, who fled in terror.",
    ),
    (
        "ru",
        "location",
        "Комната была большая и мрачная, с дубовым полом, высокими узкими окнами и огромным каменным камином.",
    ),
    (
        "ru",
        "character",
        "Это был высокий худой старик с седой бородой, бледным лицом и голубыми глазами, в старом коричневом сюртуке.",
    ),
    ("ru", "atmosphere", "Туман был густой и холодный, ветер выл над тёмным полем, и дождь стучал в окна."),
    pytest.param(
        "ru",
        "object",
        "На столе лежала старая кожаная книга, медный подсвечник, серебряный ключ и деревянный ящик.",
        # as in English: model weight 1.0 and "object" not learnt (187 train sentences, dev AP ~0.1)
        marks=pytest.mark.xfail(strict=True, reason="the ru classifier has not learnt object"),
    ),
    ("ru", "action", "Он схватил саблю, вскочил на коня, бросился на врагов и ударил первого солдата."),
]

NOT_DESCRIPTIONS = [
    (
        "en",
        "“I have no idea what you mean,” said he, “and I do not think that it matters to anybody at all.”",
    ),
    (
        "en",
        "It is a truth universally acknowledged, that a single man in possession of a good fortune must be in want of a wife.",
    ),
    (
        "ru",
        "— Я не понимаю, что вы хотите сказать, — сказал он, — и не думаю, что это кому-нибудь интересно.",
    ),
    ("ru", "Все счастливые семьи похожи друг на друга, каждая несчастливая семья несчастлива по-своему."),
]


def _id(case) -> str:
    values = case.values if hasattr(case, "values") else case
    return f"{values[0]}-{values[1]}"


@pytest.mark.parametrize(("language", "kind", "sentence"), CLEAR, ids=[_id(c) for c in CLEAR])
def test_clear_examples_are_typed(language: str, kind: str, sentence: str) -> None:
    found = analyze_chapter(ChapterText(1, sentence), language)
    assert [(d.type, d.text) for d in found] == [(kind, sentence)]
    # confidence is calibrated on dev: "action" is right about half the time there (too few examples for a
    # table of its own), so even a clear one stays near 0.5
    assert found[0].confidence >= (0.45 if kind == "action" else 0.5)


@pytest.mark.parametrize(("language", "sentence"), NOT_DESCRIPTIONS)
def test_dialogue_and_abstract_prose_are_not_descriptions(language: str, sentence: str) -> None:
    assert analyze_chapter(ChapterText(1, sentence), language) == []


def test_visual_description_outranks_plain_action() -> None:
    text = (
        "The hall was lofty and long, with black oak panels, a vaulted ceiling and a wide stone staircase.\n\n"
        "He ran to the door and pulled it open and then ran down the stairs and out of the house."
    )
    found = analyze_chapter(ChapterText(1, text), "en")
    assert [d.type for d in found] == ["location", "action"]
    assert found[0].priority > found[1].priority


def test_neighbouring_sentences_of_one_type_form_one_description() -> None:
    text = (
        "The room was large and dark, with a low ceiling of smoke-blackened beams. "
        "Its walls were hung with faded red tapestries and its floor was black oak. "
        "The windows were narrow, and a great stone fireplace filled one end of the hall."
    )
    found = analyze_chapter(ChapterText(1, text), "en")
    assert len(found) == 1
    assert found[0].type == "location"
    assert found[0].text == text
