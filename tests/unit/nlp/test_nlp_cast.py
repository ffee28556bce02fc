"""The cast a reader trusts (issue 14): no contractions, deities, ships or demonyms as people; places
gathered like characters; every mention keeps its position so the cast can be cut at a reader's place."""

from __future__ import annotations

from bookreader.nlp import ChapterText, analyze_book


def cast(text: str, language: str = "en"):
    analysis = analyze_book([ChapterText(1, text)], language)
    return {c.name: c for c in analysis.characters}, {p.name: p for p in analysis.places}


def test_contractions_and_deities_are_not_characters() -> None:
    text = (
        "Then Rodya stood up. \"Isn't it late?\" asked Rodya. Oh, he thought, Isn't that so. "
        "Good Lord, Jesus help me, said Rodya. They prayed to Jesus, and Jesus was silent. Well, Isn't it?"
    )
    people, _ = cast(text)
    assert "Rodya" in people
    assert not {"Isn", "Jesus", "Lord"} & set(people)


def test_a_thing_after_the_is_no_person_unless_it_speaks() -> None:
    text = (
        "We sailed aboard the Pequod. The Pequod was old. Men loved the Pequod. Starbuck stood on the Pequod. "
        '"Off with her head," said the Queen. The Queen was angry. "Never," the Queen replied. Starbuck smiled. '
        "Starbuck nodded. A Nantucketer came. He was a Nantucketer. Every Nantucketer knows it, said Starbuck."
    )
    people, places = cast(text)
    assert "Queen" in people, "a role title used with 'the' who speaks is a person"
    assert "Starbuck" in people
    assert "Pequod" not in people and "Pequod" in places, "a ship one is aboard is a place, not a person"
    assert "Nantucketer" not in people


def test_places_are_gathered_like_characters() -> None:
    text = (
        "Anna lived in Moscow. She went to Moscow every winter. Anna hated the roads from Moscow. "
        "At Moscow the snow was deep. Then Anna smiled."
    )
    people, places = cast(text)
    assert "Moscow" in places and "Moscow" not in people
    assert places["Moscow"].mention_count == 4 and places["Moscow"].kind == "place"
    assert "Anna" in people


def test_russian_places_come_from_geography() -> None:
    text = "Наташа жила в Москве. Потом Наташа уехала из Москвы в Петербург. Зимой в Москве Наташа скучала."
    people, places = cast(text, "ru")
    assert "Москва" in places and "Наташа" in people
    assert "Москва" not in people


def test_unknown_russian_names_share_a_stem_not_a_guess() -> None:
    text = "Пришёл Глид. Все смотрели на Глида. С Глидом спорили, но Глиду было всё равно."
    people, _ = cast(text, "ru")
    assert "Глид" in people and people["Глид"].mention_count == 4


def test_one_off_pair_does_not_merge_two_people() -> None:
    text = " ".join(
        ["Ahab shouted."] * 12 + ["The Parsee came."] * 2 + ["Then Parsee looked at Fedallah."] * 10
    )
    text += " The Parsee Ahab stood there. Fedallah smiled. Fedallah left."
    people, _ = cast(text)
    assert "Parsee Ahab" not in people
    assert "Parsee" not in people.get("Ahab").aliases


def test_every_mention_keeps_its_alias_and_position() -> None:
    chapters = [
        ChapterText(1, "Raskolnikov walked. Later Raskolnikov sat down."),
        ChapterText(2, "Rodion Raskolnikov slept. Then Raskolnikov woke. Rodion Raskolnikov ate."),
    ]
    [character] = analyze_book(chapters, "en").characters
    assert [(m.alias, m.chapter, m.offset) for m in character.mentions] == [
        ("Raskolnikov", 1, 0),
        ("Raskolnikov", 1, 26),
        ("Rodion Raskolnikov", 2, 0),
        ("Raskolnikov", 2, 31),
        ("Rodion Raskolnikov", 2, 49),
    ]
    assert character.mention_count == len(character.mentions)
    text = chapters[1].text
    assert all(text[m.offset :].startswith(m.alias) for m in character.mentions if m.chapter == 2)
