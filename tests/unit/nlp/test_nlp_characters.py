"""Character bible: recurring names, Russian inflections and diminutives, aliases, appearance quotes."""

from __future__ import annotations

from bookreader.nlp import ChapterText, analyze_book, analyze_chunk, merge_chunks


def names(analysis) -> dict[str, object]:
    return {c.name: c for c in analysis.characters}


def test_russian_inflected_forms_merge_into_nominative() -> None:
    text = (
        "Вечером к ним приехала Наташа. Все смотрели на Наташу с любопытством. "
        "Отец долго говорил с Наташей о бале. Платье Наташи было белое, с розовыми лентами."
    )
    analysis = analyze_book([ChapterText(1, text)], "ru")
    natasha = names(analysis)["Наташа"]
    assert natasha.mention_count == 4
    assert natasha.first_chapter == 1


def test_russian_diminutive_merges_with_full_name() -> None:
    chapters = [
        ChapterText(1, "Вошла Наталья. Все встали, когда вошла Наталья, и только старик остался сидеть."),
        ChapterText(2, "Потом пришла Наташа. Мать обняла Наташу. Отец поцеловал Наташу в лоб."),
    ]
    characters = analyze_book(chapters, "ru").characters
    assert len(characters) == 1
    assert characters[0].name == "Наташа"
    assert "Наталья" in characters[0].aliases
    assert characters[0].mention_count == 5


def test_russian_full_names_keep_gender_and_absorb_their_parts() -> None:
    text = (
        "Вечером приехала Наташа Ростова. Все смотрели на Наташу Ростову. Потом позвали Наташу. "
        "Хозяйкой была Анна Павловна Шерер. Гости окружили Анну Павловну. Все ждали Анну Павловну."
    )
    found = names(analyze_book([ChapterText(1, text)], "ru"))
    assert set(found) == {"Наташа Ростова", "Анна Павловна"}
    assert found["Наташа Ростова"].aliases == ["Наташа"]
    assert found["Анна Павловна"].aliases == ["Анна Павловна Шерер"]
    assert found["Анна Павловна"].mention_count == 3


def test_aliases_of_a_full_name_merge(metamorphosis: list[ChapterText]) -> None:
    gregor = names(analyze_book(metamorphosis, "en"))["Gregor"]
    assert {"Gregor Samsa", "Samsa"} <= set(gregor.aliases)
    assert gregor.mention_count > 250
    assert gregor.appearance, "sentences describing Gregor are collected"


def test_titled_names_stay_separate_people(metamorphosis: list[ChapterText]) -> None:
    found = names(analyze_book(metamorphosis, "en"))
    assert "Mr. Samsa" in found and "Mrs. Samsa" in found
    assert "Mr. Samsa" not in found["Gregor"].aliases


def test_sentence_initial_words_and_common_nouns_are_not_characters(moby_dick: list[ChapterText]) -> None:
    found = names(analyze_book(moby_dick, "en"))
    assert {"Ahab", "Queequeg", "Starbuck", "Stubb"} <= set(found)
    assert "Captain Ahab" in found["Ahab"].aliases, "a dominant title merges with the bare name"
    assert not {"Call", "However", "Sperm", "Whale", "The"} & set(found)


def test_appearance_quotes_and_description_entities_use_canonical_names() -> None:
    text = (
        "Mr. Pickwick came in. Mr. Pickwick was a stout old gentleman with a bald head, round spectacles and "
        "black gaiters. Everybody greeted Mr. Pickwick warmly."
    )
    analysis = analyze_book([ChapterText(1, text)], "en")
    pickwick = names(analysis)["Mr. Pickwick"]
    assert [q.text for q in pickwick.appearance] == [
        "Mr. Pickwick was a stout old gentleman with a bald head, round spectacles and black gaiters."
    ]
    assert [d.entities for d in analysis.descriptions if d.type == "character"] == [["Mr. Pickwick"]]


def test_pronoun_sentence_after_a_mention_is_attributed() -> None:
    text = "At noon Emma came into the garden. She wore a white muslin dress and a straw bonnet with blue ribbons. Emma sat down. Emma smiled."
    emma = names(analyze_book([ChapterText(1, text)], "en"))["Emma"]
    assert emma.appearance and emma.appearance[0].text.startswith("She wore")


def test_rare_names_are_dropped() -> None:
    text = "Bartholomew looked at the sea. The sea was grey and cold under a low sky."
    assert analyze_book([ChapterText(1, text)], "en").characters == []


def test_merge_does_not_depend_on_batching(moby_dick: list[ChapterText]) -> None:
    chapters = moby_dick[:40]
    whole = analyze_book(chapters, "en")
    batches = [chapters[i : i + 7] for i in range(0, len(chapters), 7)]
    merged = merge_chunks([analyze_chunk(batch, "en") for batch in reversed(batches)], "en")
    assert merged == whole
