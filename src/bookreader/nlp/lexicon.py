"""Cue lexicons: data files under lexicons/ turned into one `form -> categories` lookup per language.

Matching is a dict lookup on the lower-cased token, so every inflected form is generated once at load
time: English with a few suffix rules (over-generation is harmless: the extra forms are not words),
Russian with pymorphy3 lexemes of each lemma.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pymorphy3

# Order matters only for the tuples in the lookup; scoring addresses categories by these names.
CATEGORIES = (
    "place",
    "place_part",
    "place_prep",
    "person",
    "appearance",
    "body",
    "light",
    "colour",
    "material",
    "shape",
    "weather",
    "sound",
    "smell",
    "mood",
    "object",
    "action",
    "speech",
    "abstract",
)
INDEX = {name: i for i, name in enumerate(CATEGORIES)}
_VOWELS = set("aeiouy")


def read_sections(language: str) -> dict[str, list[str]]:
    """Parse `lexicons/<language>.txt`: `[section]` headers, whitespace-separated words, `#` comments."""
    text = resources.files(__package__).joinpath("lexicons", f"{language}.txt").read_text("utf-8")
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is not None:
            current.extend(line.split())
    return sections


def english_forms(lemma: str) -> set[str]:
    forms = {lemma, lemma + "s", lemma + "es", lemma + "ed", lemma + "ing", lemma + "ly", lemma + "er"}
    forms.add(lemma + "est")
    if lemma.endswith("y") and len(lemma) > 2:
        stem = lemma[:-1]
        forms |= {stem + "ies", stem + "ied", stem + "ier", stem + "iest", stem + "ily"}
    if lemma.endswith("e"):
        stem = lemma[:-1]
        forms |= {lemma + "d", stem + "ing", lemma + "r", lemma + "st"}
    # run -> running, grab -> grabbed: short consonant-vowel-consonant words double the last letter.
    if len(lemma) >= 3 and lemma[-1] not in _VOWELS | {"w", "x"} and lemma[-2] in _VOWELS:
        if lemma[-3] not in _VOWELS:
            forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing", lemma + lemma[-1] + "er"}
    return forms


def russian_forms(lemma: str, morph: pymorphy3.MorphAnalyzer) -> set[str]:
    forms = {lemma, lemma.replace("ё", "е")}
    for parse in morph.parse(lemma)[:2]:
        if parse.normal_form.replace("ё", "е") != lemma.replace("ё", "е"):
            continue
        for form in parse.lexeme:
            forms.add(form.word)
            forms.add(form.word.replace("ё", "е"))
    return forms


@cache
def morph_analyzer() -> pymorphy3.MorphAnalyzer:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


class Lexicon:
    """`lookup[form]` = tuple of category indexes; `stop_names` = capitalised words that are not names."""

    def __init__(self, language: str) -> None:
        sections = read_sections(language)
        expand = english_forms if language == "en" else (lambda w: russian_forms(w, morph_analyzer()))
        exact = {"place_prep", "person", "speech"}  # closed classes: no inflection games
        buckets: dict[str, set[int]] = {}
        self.lemma_of: dict[
            str, str
        ] = {}  # inflected cue form -> its lexicon lemma (the lemmatizer's first say)
        for name in CATEGORIES:
            for lemma in sections.get(name, ()):
                forms = {lemma} if (name in exact and language == "en") else expand(lemma)
                for form in forms:
                    buckets.setdefault(form, set()).add(INDEX[name])
                    self.lemma_of.setdefault(form, lemma)
        self.lookup: dict[str, tuple[int, ...]] = {form: tuple(sorted(c)) for form, c in buckets.items()}
        self.stop_names = frozenset(sections.get("stop_names", ()))
        self.titles = frozenset(sections.get("titles", ()))


@cache
def get_lexicon(language: str) -> Lexicon:
    """One Lexicon per language and process (building the Russian one expands every lemma with pymorphy3)."""
    return Lexicon(language)
