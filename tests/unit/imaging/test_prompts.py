from __future__ import annotations

from bookreader.imaging.prompts import (
    MAX_PROMPT_CHARS,
    STYLES,
    CharacterSheet,
    as_of,
    build_prompt,
    cap_at_word,
    prompt_hash,
    stable_seed,
)

BIBLE = [
    CharacterSheet("Anna", "slender woman, black curls, grey velvet dress", aliases=["Анна"]),
    CharacterSheet("Vronsky", "tall officer, dark moustache, white uniform"),
]


def test_type_framing_style_suffix_and_negative():
    built = build_prompt("location", "A misty harbour at dawn.", style="ink", genres=["adventure"])

    assert built.prompt.startswith("Wide establishing shot of a place: A misty harbour at dawn")
    assert "adventure" in built.prompt
    assert built.prompt.endswith(STYLES["ink"].suffix)
    assert built.negative_prompt == STYLES["ink"].negative
    assert (built.style, built.seed, built.characters) == ("ink", None, [])


def test_unknown_style_falls_back_to_the_default():
    assert build_prompt("object", "A brass key", style="cubism").style == "watercolor"


def test_long_text_is_capped_at_a_word_boundary_and_keeps_the_style():
    text = " ".join(["wonderfully"] * 400)
    built = build_prompt("atmosphere", text, style="oil")

    assert len(built.prompt) <= MAX_PROMPT_CHARS
    assert built.prompt.endswith(STYLES["oil"].suffix)
    body = built.prompt.removesuffix(". " + STYLES["oil"].suffix)
    assert body.endswith("wonderfully")
    assert cap_at_word("alpha beta gamma", 12) == "alpha beta"


def test_known_characters_get_their_appearance_and_a_stable_seed():
    built = build_prompt(
        "character", "Анна вошла в залу, и Vronsky обернулся.", book_id="b1", characters=BIBLE
    )

    assert built.characters == ["Anna", "Vronsky"]
    assert built.prompt.startswith(
        "Anna: slender woman, black curls, grey velvet dress; Vronsky: tall officer, dark moustache"
    )
    assert built.seed == stable_seed("b1", "Anna", "watercolor") == stable_seed("b1", "anna", "watercolor")
    assert built.seed != stable_seed("b2", "Anna", "watercolor")
    assert build_prompt("character", "Anna smiled.", book_id="b1", characters=BIBLE).seed == built.seed


def test_the_seed_is_keyed_by_book_character_id_and_style():
    anna = CharacterSheet("Anna", "slender woman, black curls", id="c-anna")
    renamed = CharacterSheet("Anna Arkadyevna", "slender woman, black curls", id="c-anna")
    scene = build_prompt("action", "Anna ran to the platform.", book_id="b1", characters=[anna])
    other = build_prompt("location", "Anna Arkadyevna at the station.", book_id="b1", characters=[renamed])

    assert scene.seed == other.seed == stable_seed("b1", "c-anna", "watercolor"), "by id, not by name"
    assert scene.character_ids == ["c-anna"]
    ink = build_prompt("action", "Anna ran.", book_id="b1", style="ink", characters=[anna])
    assert ink.seed == stable_seed("b1", "c-anna", "ink") != scene.seed, "each style its own seed"


def test_a_portrait_puts_its_character_first_and_takes_their_seed():
    anna, vronsky = (CharacterSheet(c.name, c.appearance, c.aliases, id=f"c-{c.name}") for c in BIBLE)
    text = "Vronsky bowed to Anna."
    scene = build_prompt("character", text, book_id="b1", characters=[anna, vronsky])
    portrait = build_prompt("character", text, book_id="b1", characters=[anna, vronsky], focus=anna)

    assert scene.characters == ["Vronsky", "Anna"] and portrait.characters == ["Anna", "Vronsky"]
    assert portrait.prompt.startswith("Anna: slender woman")
    assert portrait.seed == stable_seed("b1", "c-Anna", "watercolor")


def test_a_regenerated_version_has_its_own_reproducible_seed_and_cache_key():
    anna = CharacterSheet("Anna", "slender woman", id="c-anna")
    first = build_prompt("action", "Anna ran.", book_id="b1", characters=[anna])
    second = build_prompt("action", "Anna ran.", book_id="b1", characters=[anna], variant=1)
    assert second.prompt == first.prompt and second.seed != first.seed
    assert second.seed == build_prompt("action", "Anna ran.", book_id="b1", characters=[anna], variant=1).seed
    nobody = build_prompt("location", "A harbour.", book_id="b1", variant=2)
    assert nobody.seed is not None and build_prompt("location", "A harbour.", book_id="b1").seed is None

    key = ("Anna ran.", "ink", "automatic1111", 768, 512, None)
    assert prompt_hash(*key) == prompt_hash(*key, seed=second.seed), "an original's key is as before"
    assert (
        len(
            {
                prompt_hash(*key),
                prompt_hash(*key, variant=1, seed=1),
                prompt_hash(*key, variant=2, seed=2),
                prompt_hash(*key, reference="ab" * 32),
            }
        )
        == 4
    )


def test_characters_linked_by_the_analyzer_count_even_when_unnamed():
    built = build_prompt("action", "She ran to the platform.", characters=BIBLE, entities=["Anna"])
    assert built.characters == ["Anna"]
    assert build_prompt("action", "Annabel ran.", characters=BIBLE).characters == []


def test_prompt_hash_is_a_sha256_of_every_part():
    base = prompt_hash("a castle", "ink", "openai", 768, 512, "dall-e-3")

    assert len(base) == 64 and base == prompt_hash("a castle", "ink", "openai", 768, 512, "dall-e-3")
    variants = [
        prompt_hash("a castle!", "ink", "openai", 768, 512, "dall-e-3"),
        prompt_hash("a castle", "oil", "openai", 768, 512, "dall-e-3"),
        prompt_hash("a castle", "ink", "pollinations", 768, 512, "dall-e-3"),
        prompt_hash("a castle", "ink", "openai", 512, 512, "dall-e-3"),
        prompt_hash("a castle", "ink", "openai", 768, 768, "dall-e-3"),
        prompt_hash("a castle", "ink", "openai", 768, 512, None),
    ]
    assert len({base, *variants}) == 7


def test_russian_names_match_in_other_cases():
    assert build_prompt("character", "Он увидел Анну у окна.", characters=BIBLE).characters == ["Anna"]


def test_a_picture_knows_a_character_only_as_far_as_its_passage():
    """The appearance text a prompt carries is cut at the illustrated passage: a later chapter's news of a
    character (the scar of chapter 9) is in no picture of chapter 3, nor in its "why this picture" prompt."""
    quotes = (
        (2, 400, "She had black curls."),
        (3, 90, "Her dress was grey velvet."),
        (9, 10, "A scar ran down her cheek."),
    )
    anna = CharacterSheet("Anna", "black curls, grey velvet, scar", id="c-anna", quotes=quotes)
    early, later = as_of([anna], 3, 500)[0], as_of([anna], 9, 50)[0]
    assert early.appearance == "She had black curls. Her dress was grey velvet."
    assert "scar" in later.appearance
    assert as_of([anna], 3, 80)[0].appearance == "She had black curls."  # same chapter, passage ends earlier
    assert as_of([anna], 1, None)[0].appearance == ""  # not described yet: the name only
    built = build_prompt("character", "Anna stood by the window.", characters=as_of([anna], 3, 500))
    assert "grey velvet" in built.prompt and "scar" not in built.prompt
    assert as_of(BIBLE, 1, 1) == BIBLE  # sheets without positions are kept as they are
