"""Sentence features (lexicon cue counts) → description type, confidence and illustration priority.

A sentence is typed by the strongest of five weighted cue sums; it must reach a minimum evidence level,
and dialogue, speech verbs and abstract vocabulary pull it towards "none". Priority is visual density:
concrete visual cues (colour, light, shape, material, places, appearance, named characters) per word,
plus a small type weight, minus dialogue and abstraction penalties.
"""

from __future__ import annotations

import numpy as np

from .lexicon import INDEX
from .text import text_marks

PLACE = INDEX["place"]
PART = INDEX["place_part"]
PREP = INDEX["place_prep"]
PERSON = INDEX["person"]
APPEARANCE = INDEX["appearance"]
BODY = INDEX["body"]
LIGHT = INDEX["light"]
COLOUR = INDEX["colour"]
MATERIAL = INDEX["material"]
SHAPE = INDEX["shape"]
WEATHER = INDEX["weather"]
SOUND = INDEX["sound"]
SMELL = INDEX["smell"]
MOOD = INDEX["mood"]
OBJECT = INDEX["object"]
ACTION = INDEX["action"]
SPEECH = INDEX["speech"]
ABSTRACT = INDEX["abstract"]

TYPE_WEIGHT = {"location": 1.0, "character": 0.9, "atmosphere": 0.75, "object": 0.6, "action": 0.5}
MIN_EVIDENCE = 3.0


def classify(
    counts: list[int],
    words: int,
    names: int,
    text: str,
    place_subject: bool = False,
    marks: tuple[bool, bool, int] | None = None,
) -> tuple[str | None, float, float]:
    """(type or None, confidence 0..1, priority) for one sentence or a short run of sentences.

    `place_subject`: a place noun among the first words ("The hall was lofty...") — the sentence is
    about the place even when its light and colour words would make it atmosphere. `marks`: `text_marks(text)`
    when the caller has them already (the scorer: `SentenceTable.marks`).
    """
    if words < 4:
        return None, 0.0, 0.0
    visual = counts[COLOUR] + counts[LIGHT] + counts[MATERIAL] + counts[SHAPE]
    ambience = counts[WEATHER] + counts[LIGHT] + counts[SOUND] + counts[SMELL] + counts[MOOD]
    who = min(counts[PERSON] + names, 2)
    scores = {
        "location": 2.0 * counts[PLACE]
        + 1.5 * place_subject
        + 0.8 * counts[PART]
        + 0.3 * min(counts[PREP], 2) * (counts[PLACE] > 0)
        + 0.4 * visual,
        "character": (2.0 * counts[APPEARANCE] + 0.6 * counts[BODY] + 0.5 * counts[COLOUR])
        * (1.0 if who else 0.8)
        + 0.5 * who,
        "atmosphere": 1.4 * ambience + (1.0 if ambience >= 2 else 0.0),
        "object": 2.0 * counts[OBJECT] + 0.5 * (counts[MATERIAL] + counts[SHAPE] + counts[COLOUR]),
        "action": 2.5 * counts[ACTION],
    }
    if counts[APPEARANCE] < 2 and not (counts[APPEARANCE] and (who or counts[COLOUR] >= 2)):
        scores["character"] = min(scores["character"], 2.0)
    best = max(scores, key=scores.__getitem__)  # ties: dict order = type weight order
    top = scores[best]
    ordered = sorted(scores.values(), reverse=True)
    dialogue, quote, exclaims = marks or text_marks(text)
    penalty = 0.0
    if dialogue:
        penalty += 2.5
    if quote:
        penalty += 1.0
    penalty += 1.2 * counts[SPEECH] + 0.8 * counts[ABSTRACT]
    penalty += min(1.5, 0.5 * exclaims)  # apostrophes and questions, not pictures
    evidence = top - penalty
    if evidence < MIN_EVIDENCE:
        return None, 0.0, 0.0
    margin = (top - ordered[1]) / top if top else 0.0
    confidence = min(1.0, 0.35 + 0.08 * evidence + 0.3 * margin)
    density = (visual + counts[PLACE] + counts[APPEARANCE] + counts[OBJECT] + names) / max(words, 1)
    priority = round(TYPE_WEIGHT[best] + 3.0 * min(density, 0.5) + 0.25 * confidence - 0.1 * penalty, 4)
    return best, round(confidence, 4), priority


def may_classify(counts: np.ndarray, subject: list[bool]) -> list[bool]:
    """Per sentence (rows of cue `counts`): can `classify` type it at all? False where even its best type score
    with every favourable term (a person named, no penalty) stays under MIN_EVIDENCE — `classify` would return
    (None, 0, 0) there, so the scorer skips it. A bound, not the scores: only a margin wide of any rounding."""
    c = counts.astype(np.float64)
    visual = c[:, COLOUR] + c[:, LIGHT] + c[:, MATERIAL] + c[:, SHAPE]
    ambience = c[:, WEATHER] + c[:, LIGHT] + c[:, SOUND] + c[:, SMELL] + c[:, MOOD]
    bound = np.maximum.reduce(
        [
            2.0 * c[:, PLACE] + 1.5 * np.asarray(subject, dtype=np.float64) + 0.8 * c[:, PART]
            + 0.3 * np.minimum(c[:, PREP], 2) + 0.4 * visual,
            2.0 * c[:, APPEARANCE] + 0.6 * c[:, BODY] + 0.5 * c[:, COLOUR] + 1.0,
            1.4 * ambience + 1.0,
            2.0 * c[:, OBJECT] + 0.5 * (c[:, MATERIAL] + c[:, SHAPE] + c[:, COLOUR]),
            2.5 * c[:, ACTION],
        ]
    )  # fmt: skip
    result: list[bool] = (bound >= MIN_EVIDENCE - 1e-6).tolist()
    return result
