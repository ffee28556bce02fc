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
  case (English: "Sperm", "Poor Alice"), contractions ("Isn't", "Don't"), deities and forms of address
  ("Jesus", "Majesty") are dropped;
- names mostly after "in/at/to/from" (also across an article: "in the Pacific") or, in Russian, known to
  pymorphy3 as geography (Geox) are recurring **places**, not people;
- "the X" is a person only when X also speaks ("said the Hatter"); otherwise it is a ship or a thing
  ("the Pequod", "the Leviathan": a place when it is also "aboard"/"on" it, else dropped); names mostly
  after "a/an" ("a Nantucketer") are demonyms, not people.

Every mention keeps its position (chapter, sentence start) so the cast can be cut at a reader's position:
`FoundCharacter.mentions` lists (alias, chapter, offset) in reading order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

import msgspec

from .lexicon import read_sections
from .model import CharacterQuote, FoundCharacter, Mention
from .names import (
    DEMONYM,
    GEO,
    INDEFINITE,
    PLACE_PREP,
    ROLE_TITLES,
    SPEAKS,
    THE,
)

MIN_MENTIONS = 3
ESTABLISHED = 10  # mentions that make a bare name someone of its own
MAX_QUOTES = 20


class NameStat(msgspec.Struct):
    key: str
    count: int = 0
    non_initial: int = 0
    first_chapter: int = 1_000_000
    after_place_prep: int = 0  # "in Nantucket", "to London": a place rather than a person
    quotes: list[CharacterQuote] = []
    after_the: int = 0
    after_a: int = 0
    speaks: int = 0
    geo: int = 0
    positions: list[tuple[int, int]] = []  # (chapter, sentence start) of every mention

    def record(self, chapter: int, offset: int, initial: bool, flags: int) -> None:
        """One mention of this name at (chapter, offset) with the flags `sentence_names` gave it."""
        self.count += 1
        self.non_initial += not initial
        if flags:  # most mentions have none: nothing to add
            self.after_place_prep += bool(flags & PLACE_PREP)
            self.after_the += bool(flags & THE)
            self.after_a += bool(flags & INDEFINITE)
            self.speaks += bool(flags & SPEAKS)
            self.geo += bool(flags & GEO)
        self.first_chapter = min(self.first_chapter, chapter)
        self.positions.append((chapter, offset))


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
            target[key] = msgspec.structs.replace(
                stat, quotes=list(stat.quotes), positions=list(stat.positions)
            )
            continue
        have.count += stat.count
        have.non_initial += stat.non_initial
        have.first_chapter = min(have.first_chapter, stat.first_chapter)
        have.after_place_prep += stat.after_place_prep
        have.after_the += stat.after_the
        have.after_a += stat.after_a
        have.speaks += stat.speaks
        have.geo += stat.geo
        have.quotes.extend(stat.quotes)
        have.positions.extend(stat.positions)


def merge_characters(
    chunks: Iterable[dict[str, NameStat]],
    language: str,
    titles: Iterable[str] = (),
    lowercase: Iterable[dict[str, int]] = (),
) -> list[FoundCharacter]:
    """Book-level character bible from per-chunk name stats (the order of chunks does not matter)."""
    return merge_cast(chunks, language, titles, lowercase)[0]


def merge_cast(
    chunks: Iterable[dict[str, NameStat]],
    language: str,
    titles: Iterable[str] = (),
    lowercase: Iterable[dict[str, int]] = (),
) -> tuple[list[FoundCharacter], list[FoundCharacter]]:
    """(characters, places) from per-chunk name stats, each ranked by mentions.

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
        if not words or (all(w in titled for w in words) and words[-1] not in ROLE_TITLES):
            continue
        new_key = " ".join(words)
        stat = merged[key]
        if words and words[0] != key.split()[0]:  # "Poor Lazarus" → "Lazarus": the name starts later
            shift = key.index(f" {words[0]}") + 1
            stat = msgspec.structs.replace(stat, positions=[(c, o + shift) for c, o in stat.positions])
        merge_name_stats(stats, {new_key: msgspec.structs.replace(stat, key=new_key)})
    # "Leviathan" 62 times, "leviathan" 30: an ordinary word that often starts a clause capitalised
    stats = {k: s for k, s in stats.items() if not (" " not in k and common.get(k.lower(), 0) * 3 >= s.count)}
    found: dict[str, list[FoundCharacter]] = {"character": [], "place": []}
    for members in _alias_groups(stats, language, titled):
        member_stats = [stats[k] for k in members]
        kind = _kind(member_stats)
        if kind is not None:
            found[kind].append(_found(member_stats, titled, kind))
    for items in found.values():
        items.sort(key=lambda c: (-c.mention_count, c.name))
    return found["character"], found["place"]


def _kind(members: list[NameStat]) -> str | None:
    """A person, a recurring place, or neither (rare, only sentence-initial, a ship or a demonym)."""
    total = sum(s.count for s in members)
    if total < MIN_MENTIONS or sum(s.non_initial for s in members) == 0:
        return None
    place = sum(s.after_place_prep + s.geo for s in members)
    if place * 2 >= total and DEMONYM.search(members[0].key):
        return None  # "to the Japanese", "from the Americans"
    if place * 2 >= total:
        return "place"  # "in Nantucket", "to London", "в Петербурге"
    if sum(s.after_a for s in members) * 10 >= total * 3:
        return None  # "a Nantucketer", "an Englishman": what someone is, not who
    if sum(s.after_the for s in members) * 5 >= total * 2 and sum(s.speaks for s in members) * 10 < total:
        # "the Pequod", "the Leviathan": a thing unless it talks ("said the Hatter")
        return "place" if place * 5 >= total else None
    return "character"


def _found(members: list[NameStat], titled: set[str], kind: str) -> FoundCharacter:
    best = max(members, key=lambda s: (s.count, len(s.key), s.key))
    # A full name ("Gregor Samsa") is canonical when it is used, not only once in a blue moon.
    fuller = [
        s
        for s in members
        if set(best.key.split()) < set(s.key.split())
        and s.key.split()[0] not in titled
        and s.count >= max(2, best.count / 10)
    ]
    if fuller:
        best = max(fuller, key=lambda s: (s.count, len(s.key), s.key))
    quotes = sorted(
        {(q.chapter, q.start): q for s in members for q in s.quotes}.values(),
        key=lambda q: (q.chapter, q.start),
    )
    mentions = [Mention(s.key, chapter, offset) for s in members for chapter, offset in s.positions]
    mentions.sort(key=lambda m: (m.chapter, m.offset, m.alias))
    return FoundCharacter(
        name=best.key,
        aliases=sorted(s.key for s in members if s.key != best.key),
        mention_count=sum(s.count for s in members),
        first_chapter=min(s.first_chapter for s in members),
        appearance=quotes[:MAX_QUOTES],
        kind=kind,  # type: ignore[arg-type]
        mentions=mentions,
    )


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
        if len(owners) == 1 and not _two_people(key, owners_root := owners.pop(), stats, find):
            union(key, owners_root)
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


def _two_people(key: str, root: str, stats: dict[str, NameStat], find: Callable[[str], str]) -> bool:
    """An established name must not join a group that already has another one through a one-off pair
    ("the Parsee Ahab" once must not make Ahab and the Parsee one person)."""
    if stats[key].count < ESTABLISHED:
        return False
    return any(
        find(other) == root and other != key and " " not in other and stats[other].count >= ESTABLISHED
        for other in stats
    )


def alias_index(characters: list[FoundCharacter]) -> dict[str, str]:
    index: dict[str, str] = {}
    for character in characters:
        for key in (character.name, *character.aliases):
            index[key] = character.name
    return index
