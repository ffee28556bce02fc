"""Name mentions in one sentence: which capitalised words are a name, and what surrounds them.

`sentence_names` gives (key, is_sentence_initial, flags) per mention; `characters.merge_cast` turns the
book's mentions into people and places. Keys are normalised names (Russian: pymorphy3 normal forms, or the
consonant stem of an unknown foreign name, so Наташа/Наташи/Наташей and Рассел/Рассела share a key).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .lexicon import INDEX, Lexicon, morph_analyzer
from .text import CAPITALISED

_NAME_TAGS = ("Name", "Surn", "Patr")
_SURNAME_ENDINGS = ("ов", "ев", "ёв", "ин", "ын", "ский", "цкий", "ой", "ич")
_CASE_ENDINGS = ("ом", "ем", "ою", "ею", "а", "я", "у", "ю", "е")
_CONSONANTS = set("бвгджзклмнпрстфхцчшщ")


# Flags of one mention (the third element of a `sentence_names` tuple; bit 1 keeps the old boolean's meaning).
PLACE_PREP = 1  # after "in/at/to/from…", possibly across an article
THE = 2  # right after "the"
INDEFINITE = 4  # right after "a/an"
SPEAKS = 8  # next to a speech verb ("said the Hatter", "Alice replied")
GEO = 16  # Russian: pymorphy3 knows it as geography


@lru_cache(maxsize=200_000)
def russian_name_key(word: str) -> str | None:
    """Nominative key of a Russian proper name, or None when the word is an ordinary word."""
    morph = morph_analyzer()
    parses = morph.parse(word)
    if morph.word_is_known(word):
        for parse in parses:
            if any(tag in parse.tag for tag in _NAME_TAGS):
                return str(parse.normal_form).capitalize()
        return None  # a dictionary word capitalised mid-sentence: place, God, title...
    if word.endswith(_SURNAME_ENDINGS):
        return word
    # Guessed parses of unknown (mostly foreign) names are unreliable ("Рассела" → "рассесть"): the
    # case ending goes, so Рассел/Рассела/Расселом share the consonant stem that is their nominative.
    for ending in _CASE_ENDINGS:
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= 3 and stem[-1].lower() in _CONSONANTS:
            return stem
    if any(p.tag.POS in ("NOUN", "ADJF") for p in parses[:2]):
        return word
    return None


@lru_cache(maxsize=200_000)
def russian_place_key(word: str) -> str | None:
    """Nominative of a word pymorphy3 knows as geography ("в Петербурге" → "Петербург"), else None."""
    for parse in morph_analyzer().parse(word)[:2]:
        if "Geox" in parse.tag:
            return str(parse.normal_form).capitalize()
    return None


@lru_cache(maxsize=200_000)
def russian_dictionary_name(word: str) -> bool:
    """pymorphy3's dictionary knows the word first of all as a first name, surname or patronymic ("По" is
    a preposition before it is Poe)."""
    parses = morph_analyzer().parse(word)
    return (
        bool(parses) and morph_analyzer().word_is_known(word) and any(t in parses[0].tag for t in _NAME_TAGS)
    )


class NameMention(NamedTuple):
    key: str
    initial: bool  # at the sentence start (weak evidence: any word is capitalised there)
    flags: int  # PLACE_PREP | THE | INDEFINITE | SPEAKS | GEO
    start: int  # offset of the name in the sentence


class _Group:
    """Adjacent capitalised words being collected into one name."""

    def __init__(self, key: str, word: str, initial: bool, flags: int, start: int) -> None:
        self.keys, self.raw = [key], [word]
        self.initial, self.flags, self.start = initial, flags, start


def sentence_names(sentence: str, language: str, lexicon: Lexicon) -> list[NameMention]:
    """One `NameMention` per name in the sentence; adjacent names form one key ("Gregor Samsa")."""
    matches = list(CAPITALISED.finditer(sentence))
    if not matches:
        return []  # no capitalised word, no name (and none of the set-up below)
    found: list[NameMention] = []
    group: _Group | None = None
    last_end = -10
    lead = len(sentence) - len(sentence.lstrip(_LEAD)) if sentence[0] in _LEAD else 0
    russian = language == "ru"
    stop_names, titles, lookup = lexicon.stop_names, lexicon.titles, lexicon.lookup
    for match in matches:
        word = match.group(1)
        start, end = match.span()
        initial = start <= lead
        # the word's own key (inline: this runs for every capitalised word of the book)
        if word in stop_names:
            key = word if word in titles else None
        elif russian:
            key = russian_name_key(word)
        elif initial and word.lower() in lookup:
            key = None  # "Darkness is cheap": a common word that merely starts the sentence
        else:
            key = word
        geo = False
        if key is not None and sentence[end : end + 1] in _APOSTROPHES and _CONTRACTION.match(sentence, end):
            key = None  # "Isn't", "Don't": a verb, not a name
        if key is None and russian and not initial:
            key = russian_place_key(word)
            geo = key is not None
        if initial and key is not None and russian and russian_dictionary_name(word):
            initial = False  # Наташа at a sentence start is still certainly a name
        if key is None:
            if group is not None:
                _flush(group, language, found, lexicon, sentence, last_end)
                group, last_end = None, -10
            continue
        adjacent = start - last_end in (1, 2) and _joins(sentence, last_end, start, group, lexicon)
        if group is not None and adjacent and geo == bool(group.flags & GEO):  # "в Москве Наташа": two names
            group.keys.append(key)
            group.raw.append(word)
        else:
            if group is not None:
                _flush(group, language, found, lexicon, sentence, last_end)
            # before a sentence-initial word there are only quotes and dashes: no words, no flags
            flags = _before_flags(sentence, start, lexicon) if start > lead else 0
            group = _Group(key, word, initial, flags, start)
        if geo:
            group.flags |= GEO
        last_end = end
    if group is not None:
        _flush(group, language, found, lexicon, sentence, last_end)
    return found


def _joins(sentence: str, last_end: int, start: int, group: _Group | None, lexicon: Lexicon) -> bool:
    """Two capitalised words are one name when only a space (or a title's period: "Mr. Samsa") is between."""
    gap = sentence[last_end:start]
    if gap.strip() == "":
        return True
    return (
        gap.strip() == "."
        and group is not None
        and (group.raw[-1] in lexicon.titles or len(group.raw[-1]) == 1)
    )


def _before_flags(sentence: str, start: int, lexicon: Lexicon) -> int:
    """What the words before a name say about it: "in (the) …", "the …", "a …", "said (the) …"."""
    before = _previous_words(sentence, start)
    if before is None:
        return 0
    previous, earlier = before[1].lower(), (before[0] or "").lower()
    flags = 0
    if previous in _ARTICLES:
        flags |= THE if previous in ("the",) else INDEFINITE
        previous, earlier = earlier, ""
    if previous in _PLACE_PREPOSITIONS:
        flags |= PLACE_PREP
    if previous and _is_speech(previous, lexicon):
        flags |= SPEAKS
    return flags


def _previous_words(sentence: str, start: int) -> tuple[str | None, str] | None:
    """The groups (earlier, previous) of `_PREVIOUS_WORDS.search(sentence, 0, start)`, read backwards from
    `start` instead of trying every position of the sentence before it.

    That search ends in 1–3 non-word characters (4 with a final newline: `$` matches before it) after the
    last word; its leftmost match starts at the word before when 1–3 non-word characters separate the two.
    Reversed, each of these runs is simply maximal, so one anchored match of the reversed tail finds them."""
    low = max(0, start - _WINDOW)
    tail = sentence[low:start][::-1]
    found = _REVERSED.match(tail)
    if found is None:
        return None
    if low and (found.end() == len(tail) or (found.group(3) is None and len(tail) - found.end(2) <= 3)):
        return _previous_words_from(sentence, start)  # a run may go on beyond the window
    return _groups(found)


def _previous_words_from(sentence: str, start: int) -> tuple[str | None, str] | None:
    found = _REVERSED.match(sentence[:start][::-1])
    return None if found is None else _groups(found)


def _groups(found: re.Match[str]) -> tuple[str | None, str] | None:
    gap, previous, between, earlier = found.groups()
    if not (len(gap) <= 3 or (len(gap) == 4 and gap[0] == "\n")):
        return None
    return (earlier[::-1] if between is not None and len(between) <= 3 else None), previous[::-1]


def _is_speech(word: str, lexicon: Lexicon) -> bool:
    return _SPEECH in lexicon.lookup.get(word, ()) or word in _MORE_SPEECH


def _gendered(group: list[str], raw: list[str], language: str) -> list[str]:
    """Наташа Ростова, not Наташа Ростов: a woman's surname keeps its feminine nominative."""
    if language != "ru" or len(group) < 2 or not _russian_female_name(group[0]):
        return group
    return [group[0], *(_russian_feminine_surname(w) or k for k, w in zip(group[1:], raw[1:], strict=True))]


@lru_cache(maxsize=50_000)
def _russian_female_name(key: str) -> bool:
    return any("Name" in p.tag and "femn" in p.tag for p in morph_analyzer().parse(key))


@lru_cache(maxsize=50_000)
def _russian_feminine_surname(word: str) -> str | None:
    for parse in morph_analyzer().parse(word):
        if ("Surn" in parse.tag or "Patr" in parse.tag) and "femn" in parse.tag:
            nominative = parse.inflect({"nomn", "sing", "femn"})
            if nominative is not None:
                return str(nominative.word).capitalize()
    return None


def _flush(
    group: _Group, language: str, found: list[NameMention], lexicon: Lexicon, sentence: str, end: int
) -> None:
    titles, flags = lexicon.titles, group.flags
    if len(group.keys) == 1:  # most names: the checks below for one word, without their loops
        word = group.keys[0]
        if word in titles and not (flags & THE and word in ROLE_TITLES):
            return  # "Mr", "Captain" alone; but "the Queen" may be a person (she must speak to stay)
        if word in _NOT_PEOPLE:
            return
        words = group.keys
    else:
        words = _gendered(group.keys, group.raw, language)
        while words and words[-1] in titles and not (len(words) == 1 and flags & THE):
            words = words[:-1]
        if not words:
            return
        if all(word in titles for word in words) and not (flags & THE and words[-1] in ROLE_TITLES):
            return
        if any(word in _NOT_PEOPLE for word in words):
            return
    after = _NEXT_WORD.match(sentence, end)
    if after is not None and _is_speech(after.group(1).lower(), lexicon):
        flags |= SPEAKS  # "Alice replied", "Наташа сказала"
    key = " ".join(f"{w}." if w in titles and w in _ABBREVIATED else w for w in words)
    found.append(NameMention(key, group.initial, flags, group.start))


_LEAD = " \"'“«—–-‘"  # opening quotes and dashes: a name right after them is still sentence-initial
_ABBREVIATED = {"Mr", "Mrs", "Ms", "Dr", "St"}
_PREVIOUS_WORDS = re.compile(r"(?:(\w+)\W{1,3})?(\w+)\W{1,3}$")
_REVERSED = re.compile(r"(\W+)(\w+)(?:(\W+)(\w+))?")  # _PREVIOUS_WORDS's runs, read backwards
_WINDOW = 64  # characters before a name that `_previous_words` reads first
_NEXT_WORD = re.compile(r"[,!?\s\"'”’»—–-]{1,4}(\w+)")
_CONTRACTION = re.compile(r"['’]t\b")
_APOSTROPHES = ("'", "’")  # _CONTRACTION's first character, checked before the regex
_ARTICLES = {"the", "a", "an"}
DEMONYM = re.compile(r"(?:ese|man|men|ans|ish)$")
_SPEECH = INDEX["speech"]
_MORE_SPEECH = {
    "added", "thought", "began", "went", "muttered", "screamed", "sighed", "sobbed", "roared", "growled",
    "called", "shrieked", "sang", "pleaded", "interrupted", "inquired", "demanded",
}  # fmt: skip
# Titles that also name one person in a story when used with "the": "said the Queen", "the King replied".
ROLE_TITLES = {
    "King",
    "Queen",
    "Prince",
    "Princess",
    "Duke",
    "Duchess",
    "Emperor",
    "Empress",
    "Count",
    "Countess",
}
# Capitalised words that are never a character of the story: deities, oaths, forms of address.
_NOT_PEOPLE = {
    "Jesus", "Christ", "God", "Allah", "Jehovah", "Lord", "Heaven", "Heavens", "Hell", "Majesty", "Highness",
    "Excellency", "Honour", "Honor", "Lordship", "Ladyship", "Worship", "Reverence",
    "Бог", "Господь", "Христос", "Иисус", "Бога", "Господи", "Величество", "Превосходительство",
}  # fmt: skip
# English only: Russian places come from pymorphy3's Geox tag, and "смотрел на Наташу" is as common as
# "в Москве".
_PLACE_PREPOSITIONS = {"in", "at", "to", "from", "into", "near", "of", "aboard", "board", "on", "onto"}
