"""The search box's language → a PostgreSQL `to_tsquery` string (pure: text in, text out).

`"old house"` is a phrase (`old <-> house`), `hous*` a prefix (`hous:*`), other words must all occur.
Only letters and digits reach PostgreSQL, so no input can make `to_tsquery` fail.
"""

from __future__ import annotations

import re

TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 12


class EmptyQuery(ValueError):
    pass


def to_tsquery_text(q: str) -> str:
    parts: list[str] = []
    for phrase, term in TOKEN.findall(q or ""):
        if phrase:
            words = WORD.findall(phrase.lower())
            if words:
                parts.append("(" + " <-> ".join(words) + ")" if len(words) > 1 else words[0])
            continue
        prefix = term.endswith("*")
        words = WORD.findall(term.lower())
        if not words:
            continue
        if prefix:
            words[-1] += ":*"
        parts.append(" <-> ".join(words) if len(words) > 1 else words[0])  # don't → don <-> t
    if not parts:
        raise EmptyQuery("Type a word to search for.")
    return " & ".join(parts[:MAX_TERMS])


def search_config(language: str | None) -> str:
    """The text search configuration for a book language: Russian and English stem, the rest do not."""
    lang = (language or "").lower()
    if lang.startswith("ru"):
        return "russian"
    if lang.startswith("en"):
        return "english"
    return "simple"
