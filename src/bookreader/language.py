"""Language codes, the one pair of helpers ingest and nlp share: normalise what metadata says, else guess
cheaply from the text (script + stopwords). Pure: no I/O, runnable in the process pool."""

from __future__ import annotations

import re

_THREE_TO_TWO = {
    "eng": "en", "rus": "ru", "pol": "pl", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "spa": "es",
    "ita": "it", "por": "pt", "dut": "nl", "nld": "nl", "cze": "cs", "ces": "cs", "ukr": "uk", "bel": "be",
    "bul": "bg", "jpn": "ja", "chi": "zh", "zho": "zh", "kor": "ko", "ara": "ar", "heb": "he", "gre": "el",
    "ell": "el", "tur": "tr", "swe": "sv", "nor": "no", "nob": "nb", "dan": "da", "fin": "fi", "hun": "hu",
    "lat": "la", "srp": "sr", "hrv": "hr", "slo": "sk", "slk": "sk", "slv": "sl", "rum": "ro", "ron": "ro",
    "per": "fa", "fas": "fa", "hin": "hi", "epo": "eo", "lit": "lt", "lav": "lv", "est": "et", "cat": "ca",
}  # fmt: skip
_CODE = re.compile(r"^[a-z]{2,3}$")


def normalize_language(value: str | None) -> str | None:
    """'en-US' -> 'en', 'pol' -> 'pl', 'ja_JP' -> 'ja'; None for junk."""
    if not value:
        return None
    primary = re.split(r"[-_\s]", value.strip().lower(), maxsplit=1)[0]
    primary = _THREE_TO_TWO.get(primary, primary)
    return primary if _CODE.match(primary) else None


_STOPWORDS = {
    "en": "the and of to a in that is was he it for with his as had you not but at on she her they be",
    "fr": "le la les et de des un une est que qui dans pas pour sur il elle au du ne se ce",
    "de": "der die das und ist nicht ein eine zu den mit sich des auf für ich er sie es dem von",
    "es": "el la los las y de que en un una es por con para no se su lo al del como",
    "it": "il la di che e un una per non con sono gli le del della si lo nel alla",
    "pt": "o a os as e de que em um uma para com não se por do da no na é",
    "nl": "de het een en van is dat niet op te zijn met voor hij zij er aan",
    "pl": "i w nie na się z że do to jak jest o co ale po tak za od jego już",
    "cs": "a se na je že to v s z do jako ale o by jsem tak jeho které",
    "ru": "и в не на что я с он как а то все она так его но да ты к у же вы за",
    "uk": "і в не на що я з він як а то все вона так його але та ти до у же ви за це",
}  # fmt: skip
_STOPSETS = {code: set(words.split()) for code, words in _STOPWORDS.items()}
_SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str | None:
    """A guess from a sample of the text; None when there is too little to tell."""
    sample = text[:20000]
    letters = sum(1 for char in sample if char.isalpha())
    if letters < 20:
        return None
    for code, pattern in _SCRIPTS:
        if len(pattern.findall(sample)) > letters * 0.2:
            return code
    words = [word.lower() for word in _LATIN_WORD.findall(sample)]
    candidates: tuple[str, ...]
    if len(_CYRILLIC.findall(sample)) > letters * 0.3:
        candidates = ("ru", "uk")
    else:
        candidates = tuple(code for code in _STOPSETS if code not in ("ru", "uk"))
    scores = {code: sum(1 for word in words if word in _STOPSETS[code]) for code in candidates}
    best = max(scores, key=lambda code: scores[code])
    return best if scores[best] > 0 else None
