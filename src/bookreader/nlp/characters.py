"""Character names: per-sentence mention extraction (chapter-parallel) and the book-level merge.

Chapter work records `NameStat`s keyed by a normalised name (Russian: pymorphy3 normal forms, so
Наташа/Наташи/Наташей share a key). `merge_characters` runs once per book over all chunks: it sums the
stats, groups aliases and picks a canonical name:
- a name whose words all occur in exactly one longer name joins it ("Gregor", "Samsa" → "Gregor Samsa";
  "Анна Павловна" → "Анна Павловна Шерер"); with two candidates ("Bennet") it stays on its own;
- a titled form joins the bare name when one title dominates ("Captain Ahab" → "Ahab"), but
  "Mr. Samsa" / "Mrs. Samsa" stay two people;
- Russian diminutives (Наташа = Наталья) come from the lexicon table; a woman's surname keeps its
  feminine nominative (Наташа Ростова);
- rare names (< 3 mentions), names only ever seen at a sentence start, words that also occur in lower
  case (English: "Sperm", "Poor Alice") and names mostly after "in/at/to/from" (places) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import msgspec

from .lexicon import Lexicon, morph_analyzer, read_sections
from .model import CharacterQuote, FoundCharacter
from .text import CAPITALISED

MIN_MENTIONS = 3
MAX_QUOTES = 20
_NAME_TAGS = ("Name", "Surn", "Patr")
_SURNAME_ENDINGS = ("ов", "ев", "ёв", "ин", "ын", "ский", "цкий", "ой", "ич")


class NameStat(msgspec.Struct):
    key: str
    count: int = 0
    non_initial: int = 0
    first_chapter: int = 1_000_000
    after_place_prep: int = 0  # "in Nantucket", "to London": a place rather than a person
    quotes: list[CharacterQuote] = []


@lru_cache(maxsize=200_000)
def russian_name_key(word: str) -> str | None:
    """Nominative key of a Russian proper name, or None when the word is an ordinary word."""
    morph = morph_analyzer()
    parses = morph.parse(word)
    for parse in parses:
        if any(tag in parse.tag for tag in _NAME_TAGS):
            return parse.normal_form.capitalize()
    if morph.word_is_known(word):
        return None  # a dictionary word capitalised mid-sentence: place, God, title...
    if word.endswith(_SURNAME_ENDINGS) or any("nomn" in p.tag for p in parses[:2]):
        return word  # guessed parses of unknown names are unreliable; a nominative-looking word is kept
    for parse in parses:
        if parse.tag.POS in ("NOUN", "ADJF"):
            return parse.normal_form.capitalize()
    return None


@lru_cache(maxsize=200_000)
def russian_dictionary_name(word: str) -> bool:
    """pymorphy3's dictionary knows the word as a first name, surname or patronymic."""
    return any(any(tag in p.tag for tag in _NAME_TAGS) for p in morph_analyzer().parse(word))


def sentence_names(sentence: str, language: str, lexicon: Lexicon) -> list[tuple[str, bool, bool]]:
    """(key, is_sentence_initial, after_place_preposition) per name mention; adjacent names form one key."""
    found: list[tuple[str, bool, bool]] = []
    group: list[str] = []
    raw: list[str] = []
    group_initial = group_prep = False
    last_end = -10
    lead = len(sentence) - len(sentence.lstrip(" \"'“«—–-‘"))
    for match in CAPITALISED.finditer(sentence):
        word = match.group(1)
        initial = match.start() <= lead
        key = _word_key(word, language, lexicon, initial)
        if initial and key is not None and language == "ru" and russian_dictionary_name(word):
            initial = False  # Наташа at a sentence start is still certainly a name
        adjacent = match.start() - last_end in (1, 2) and sentence[last_end : match.start()].strip(". ") == ""
        if key is None:
            _flush(_gendered(group, raw, language), group_initial, group_prep, found, lexicon)
            group, raw = [], []
            last_end = -10
            continue
        if group and adjacent:
            group.append(key)
            raw.append(word)
        else:
            _flush(_gendered(group, raw, language), group_initial, group_prep, found, lexicon)
            before = _PREVIOUS_WORD.search(sentence, 0, match.start())
            group_prep = before is not None and before.group(1).lower() in _PLACE_PREPOSITIONS
            group, raw, group_initial = [key], [word], initial
        last_end = match.end()
    _flush(_gendered(group, raw, language), group_initial, group_prep, found, lexicon)
    return found


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
                return nominative.word.capitalize()
    return None


def _word_key(word: str, language: str, lexicon: Lexicon, initial: bool) -> str | None:
    if word in lexicon.stop_names:
        return word if word in lexicon.titles else None
    if language == "ru":
        return russian_name_key(word)
    if initial and word.lower() in lexicon.lookup:
        return None  # "Darkness is cheap": a common word that merely starts the sentence
    return word


def _flush(
    group: list[str], initial: bool, prep: bool, found: list[tuple[str, bool, bool]], lexicon: Lexicon
) -> None:
    while group and group[-1] in lexicon.titles:
        group = group[:-1]
    if not group or all(word in lexicon.titles for word in group):
        return
    key = " ".join(f"{w}." if w in lexicon.titles and w in _ABBREVIATED else w for w in group)
    found.append((key, initial, prep))


_ABBREVIATED = {"Mr", "Mrs", "Ms", "Dr", "St"}
_PREVIOUS_WORD = re.compile(r"(\w+)\W{1,3}$")
# English only: Russian place names are already rejected by pymorphy3's Geox tag, and "смотрел на Наташу"
# is as common as "в Москве".
_PLACE_PREPOSITIONS = {"in", "at", "to", "from", "into", "near", "of"}


@lru_cache(maxsize=4)
def _diminutives(language: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for entry in read_sections(language).get("diminutives", ()):
        full, _, variants = entry.partition("=")
        for variant in variants.split(","):
            table[variant] = full
        table[full] = full
    return table


def merge_name_stats(target: dict[str, NameStat], source: dict[str, NameStat]) -> None:
    for key, stat in source.items():
        have = target.get(key)
        if have is None:
            target[key] = msgspec.structs.replace(stat, quotes=list(stat.quotes))
            continue
        have.count += stat.count
        have.non_initial += stat.non_initial
        have.first_chapter = min(have.first_chapter, stat.first_chapter)
        have.after_place_prep += stat.after_place_prep
        have.quotes.extend(stat.quotes)


def merge_characters(
    chunks: Iterable[dict[str, NameStat]],
    language: str,
    titles: Iterable[str] = (),
    lowercase: Iterable[dict[str, int]] = (),
) -> list[FoundCharacter]:
    """Book-level character bible from per-chunk name stats (the order of chunks does not matter).

    `lowercase` (English): per chunk, how often each word of a name key occurs in lower case; a word
    that does ("Poor Alice", "Pequod Meets", "Sperm") is an ordinary word, not part of a name.
    """
    merged: dict[str, NameStat] = {}
    for chunk in chunks:
        merge_name_stats(merged, chunk)
    common: dict[str, int] = {}
    for counts in lowercase:
        for word, n in counts.items():
            common[word] = common.get(word, 0) + n
    titled = set(titles) | {f"{t}." for t in titles}
    stats: dict[str, NameStat] = {}
    for key in sorted(merged):
        words = key.split()
        if len(words) > 1:
            words = [w for w in words if w in titled or not common.get(w.lower())]
        if not words or all(w in titled for w in words):
            continue
        new_key = " ".join(words)
        merge_name_stats(stats, {new_key: msgspec.structs.replace(merged[key], key=new_key)})
    stats = {k: s for k, s in stats.items() if not (" " not in k and common.get(k.lower(), 0) * 2 >= s.count)}
    groups = _alias_groups(stats, language, titled)
    characters: list[FoundCharacter] = []
    for members in groups:
        member_stats = [stats[k] for k in members]
        total = sum(s.count for s in member_stats)
        if total < MIN_MENTIONS or sum(s.non_initial for s in member_stats) == 0:
            continue
        if sum(s.after_place_prep for s in member_stats) * 2 >= total:
            continue  # "in Nantucket", "to London": a place
        best = max(member_stats, key=lambda s: (s.count, len(s.key), s.key))
        # A full name ("Gregor Samsa") is canonical when it is used, not only once in a blue moon.
        fuller = [
            s
            for s in member_stats
            if set(best.key.split()) < set(s.key.split())
            and s.key.split()[0] not in titled
            and s.count >= max(2, best.count / 10)
        ]
        if fuller:
            best = max(fuller, key=lambda s: (s.count, len(s.key), s.key))
        quotes = sorted(
            {(q.chapter, q.start): q for s in member_stats for q in s.quotes}.values(),
            key=lambda q: (q.chapter, q.start),
        )
        characters.append(
            FoundCharacter(
                name=best.key,
                aliases=sorted(s.key for s in member_stats if s.key != best.key),
                mention_count=total,
                first_chapter=min(s.first_chapter for s in member_stats),
                appearance=quotes[:MAX_QUOTES],
            )
        )
    characters.sort(key=lambda c: (-c.mention_count, c.name))
    return characters


def _alias_groups(stats: dict[str, NameStat], language: str, titled: set[str]) -> list[list[str]]:
    parent = {key: key for key in stats}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    diminutive = _diminutives(language)
    by_root: dict[str, str] = {}
    for key in sorted(stats):
        words = key.split()
        root = " ".join([diminutive.get(words[0], words[0]), *words[1:]])
        if root in by_root:
            union(key, by_root[root])
        else:
            by_root[root] = key
    # Which multi-word names contain each word ("Gregor" → {"Gregor Samsa"}).
    containing: dict[str, set[str]] = {}
    for key in sorted(stats):
        words = key.split()
        if len(words) < 2 or words[0] in titled:
            continue  # "Mr. Samsa" and "Gregor Samsa" are different people
        for word in words:
            containing.setdefault(diminutive.get(word, word), set()).add(key)
    # A name joins the one longer name that contains all its words; with two candidates it is ambiguous.
    for key in sorted(stats, key=lambda k: (len(k.split()), k)):
        words = key.split()
        if words[0] in titled:
            continue
        sets = [containing.get(diminutive.get(w, w), set()) for w in words]
        owners = {find(o) for o in set.intersection(*sets) if o != key} if sets else set()
        owners.discard(find(key))
        if len(owners) == 1:
            union(key, owners.pop())
    # "Captain Ahab" is Ahab; but with "Mr. Samsa" and "Mrs. Samsa" a bare "Samsa" could be either one.
    titled_variants: dict[str, list[str]] = {}
    for key in sorted(stats):
        words = key.split()
        if len(words) > 1 and words[0] in titled and words[1] not in titled:
            titled_variants.setdefault(" ".join(words[1:]), []).append(key)
    for bare, variants in titled_variants.items():
        top = max(variants, key=lambda k: (stats[k].count, k))
        if bare in stats and stats[top].count >= 0.8 * sum(stats[k].count for k in variants):
            union(top, bare)  # one title dominates ("King Ahab" once vs "Captain Ahab" 61 times)
    groups: dict[str, list[str]] = {}
    for key in sorted(stats):
        groups.setdefault(find(key), []).append(key)
    return list(groups.values())


def alias_index(characters: list[FoundCharacter]) -> dict[str, str]:
    index: dict[str, str] = {}
    for character in characters:
        for key in (character.name, *character.aliases):
            index[key] = character.name
    return index
