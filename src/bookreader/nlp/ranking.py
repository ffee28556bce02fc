"""Rules + model → one type per sentence, a calibrated confidence, and a priority for pictures.

`combine` mixes the rule typer (scoring.classify) with the classifier's probabilities:
    score[t] = w · p_model[t] + (1 − w) · rule_confidence · [rule type == t]
where, for a whole doc (`combine_all`), p_model is a sentence's probabilities plus `context` × its
paragraph neighbours' (`with_neighbours`),
and keeps the best type when its score reaches `threshold`. `w`, the threshold and the calibration table
are fitted on the dev split by `training/train_nlp.py` and shipped in `models/<lang>/calibration.json`;
`confidence` is the isotonic (pooled, monotone) map from that score to the share of dev sentences whose
label was the chosen type, so "confidence ≥ 0.8" means "right at least ~80 % of the time on dev".

`picture_priority` ranks what to illustrate first: visual density, confidence, a named person or place, a
place as the subject; dialogue, speech, abstraction, questions and pronoun openings ("He…", "It…": the
passage is not self-contained) push a passage down.
"""

from __future__ import annotations

import bisect
import math
import operator
import re
from pathlib import Path

import msgspec
import numpy as np

from .lexicon import INDEX
from .text import DIALOGUE_START, EXCLAIM_OR_ASK, QUOTE_CHARS, text_marks

TYPES = ("location", "character", "atmosphere", "object", "action")
TYPE_WEIGHT = {"location": 1.0, "character": 0.95, "atmosphere": 0.8, "object": 0.6, "action": 0.55}
_C = {name: INDEX[name] for name in INDEX}
_SCORE = operator.itemgetter(0)  # of a calibration table's (score, confidence)
_PRONOUN_START = re.compile(
    r"^\W*(?:he|she|it|they|this|that|these|his|her|its|their|он|она|оно|они|это|его|её|ее|их)\b", re.I
)
CONFIDENCE_WEIGHT = 4.0
CONCRETE_WEIGHT = 1.0
RUN_BONUS = 0.05  # per further typed sentence of a passage (up to 3): a scene, not a single line
GLIMPSE_PENALTY = 0.2  # a passage under 80 characters is a glimpse, not a scene
# A passage none of whose sentences the fitted ranker gives this chance of being painterly, nor the calibrated
# confidence MIN_CHANCE_CONFIDENCE, is not stored: on dev (en) such passages were 14 % of all and rarely
# right, and in a chapter with few candidates they reached the top 3. (The confidence keeps a clear action: dev has too few
# actions for the ranker to learn them.)
MIN_CHANCE = 0.1
MIN_CHANCE_CONFIDENCE = 0.5


class Params(msgspec.Struct):
    version: str = "rules"
    model_weight: float = 0.0  # 0: rules only (no model shipped)
    threshold: float = 0.3  # a type is kept when its score reaches its threshold (default for all)
    model_threshold: float = 0.5  # "model alone" keeps a type at this probability
    calibration: list[tuple[float, float]] = []  # (score, confidence), ascending scores: all types
    thresholds: dict[str, float] = {}  # per type, fitted on dev (wins over `threshold`)
    calibration_by_type: dict[str, list[tuple[float, float]]] = {}  # per type, where dev had enough
    ranker: list[float] = []  # bias + one weight per RANKER_FEATURES, fitted on dev; [] = picture_priority
    context: float = 0.0  # the weight of the neighbours' probabilities in `combine_all` (`with_neighbours`)

    def threshold_of(self, kind: str) -> float:
        return self.thresholds.get(kind, self.threshold)

    def table_of(self, kind: str) -> list[tuple[float, float]]:
        return self.calibration_by_type.get(kind) or self.calibration


def load_params(path: Path) -> Params:
    if not path.is_file():
        return Params()
    return msgspec.json.decode(path.read_bytes(), type=Params)


def raw_scores(
    rule_kind: str | None, rule_confidence: float, probs: list[float] | None, weight: float
) -> list[float]:
    rule = [rule_confidence if rule_kind == t else 0.0 for t in TYPES]
    if probs is None:
        return rule
    return [weight * p + (1.0 - weight) * r for p, r in zip(probs, rule, strict=True)]


def calibrate(score: float, table: list[tuple[float, float]]) -> float:
    """Piecewise-linear through the (score, confidence) table; the raw score when there is none."""
    if not table:
        return round(min(1.0, max(0.0, score)), 4)
    i = bisect.bisect_left(table, score, key=_SCORE)  # as bisect_left over the scores alone, without the list
    if i == 0:
        return round(table[0][1], 4)
    if i == len(table):
        return round(table[-1][1], 4)
    (x0, y0), (x1, y1) = table[i - 1], table[i]
    y = y0 + (y1 - y0) * (score - x0) / (x1 - x0) if x1 > x0 else y1
    return round(y, 4)


def combine(
    rule_kind: str | None,
    rule_confidence: float,
    probs: list[float] | None,
    params: Params,
    mode: str = "both",
) -> tuple[str | None, float]:
    """(type or None, confidence) for one sentence; mode "rules" / "model" / "both"."""
    if mode == "rules" or probs is None:
        return rule_kind, rule_confidence
    if mode == "model":
        best = max(range(len(TYPES)), key=probs.__getitem__)
        return (TYPES[best], round(probs[best], 4)) if probs[best] >= params.model_threshold else (None, 0.0)
    scores = raw_scores(rule_kind, rule_confidence, probs, params.model_weight)
    kind, score = pick(scores, params)
    if kind is None:
        return None, 0.0
    return kind, calibrate(score, params.table_of(kind))


def pick(scores: list[float], params: Params) -> tuple[str | None, float]:
    """The type whose score is furthest above its own threshold (None when none reaches it)."""
    ratios = [s / max(params.threshold_of(t), 1e-6) for t, s in zip(TYPES, scores, strict=True)]
    best = max(range(len(TYPES)), key=ratios.__getitem__)
    return (TYPES[best], scores[best]) if ratios[best] >= 1.0 else (None, 0.0)


def with_neighbours(probs: np.ndarray, paragraph: list[int], weight: float) -> np.ndarray:
    """float64 probabilities, each sentence's plus `weight` × the sum of its neighbours' in its paragraph (the
    sentence before, then the one after): a description rarely stands alone. `weight` fitted on dev."""
    mixed = probs.astype(np.float64)
    if not weight or len(mixed) < 2:
        return mixed
    same = (np.asarray(paragraph[1:]) == np.asarray(paragraph[:-1])).reshape(-1, 1)
    around = np.zeros_like(mixed)
    around[1:] += np.where(same, mixed[:-1], 0.0)
    around[:-1] += np.where(same, mixed[1:], 0.0)
    return mixed + weight * around


def combine_all(
    rules: list[tuple[str | None, float]], probs: np.ndarray, params: Params
) -> list[tuple[str | None, float]]:
    """`combine(..., mode="both")` for all sentences of a doc at once: the same float64 operations in the same
    order (w · p + (1 − w) · r, divided by the threshold, the first best ratio), so the same results."""
    n = len(rules)
    rule = np.zeros((n, len(TYPES)))
    for i, (kind, confidence) in enumerate(rules):
        if kind is not None:
            rule[i, TYPES.index(kind)] = confidence
    weight = params.model_weight
    scores = weight * probs.astype(np.float64) + (1.0 - weight) * rule
    ratios = scores / np.asarray([max(params.threshold_of(t), 1e-6) for t in TYPES])
    best = ratios.argmax(axis=1)
    rows = np.arange(n)
    kept, chosen = (ratios[rows, best] >= 1.0).tolist(), scores[rows, best].tolist()
    return [
        (TYPES[b], calibrate(score, params.table_of(TYPES[b]))) if keep else (None, 0.0)
        for b, keep, score in zip(best.tolist(), kept, chosen, strict=True)
    ]


# What the fitted ranker reads of a sentence: the model's probabilities (a calibrated confidence flattens them
# into a few steps: on dev the raw maximum ranks painterly sentences better), its neighbours' (a description
# rarely stands alone), and the signs that it is speech or not self-contained.
RANKER_FEATURES = (
    "max_p", "sum_p", "confidence", "kept", "dialogue", "quote", "exclaim", "pronoun", "log_words", "named",
    "density", "prev_p", "next_p", "speech", "abstract", *(f"p_{t}" for t in TYPES),
)  # fmt: skip
_NAMED, _PRONOUN, _LOG_WORDS, _DIALOGUE, _QUOTE = (
    RANKER_FEATURES.index(name) for name in ("named", "pronoun", "log_words", "dialogue", "quote")
)


def ranker_row(
    counts: list[int],
    words: int,
    names: int,
    text: str,
    confidence: float,
    kept: bool,
    probs: list[float],
    neighbours: tuple[float, float],
    marks: tuple[bool, bool, int] | None = None,
) -> list[float]:
    """The RANKER_FEATURES of one sentence (`neighbours`: the max probability of the sentences before and after;
    `marks`: dialogue opening, quotation mark, number of ! and ?, when the caller has them already)."""
    marks = marks or text_marks(text)
    c = _C
    visual = counts[c["colour"]] + counts[c["light"]] + counts[c["material"]] + counts[c["shape"]]
    concrete = visual + counts[c["place"]] + counts[c["appearance"]] + counts[c["object"]] + counts[c["body"]]
    return [
        max(probs),
        sum(probs),
        confidence,
        float(kept),
        float(marks[0]),
        float(marks[1]),
        float(min(marks[2], 3)),
        float(_PRONOUN_START.match(text) is not None),
        math.log1p(words),
        float(names > 0),
        min(concrete / max(words, 1), 0.5),
        neighbours[0],
        neighbours[1],
        float(counts[c["speech"]]),
        float(counts[c["abstract"]]),
        *probs,
    ]


def neighbour_maxima(maxima: list[float], paragraph: list[int], i: int) -> tuple[float, float]:
    """The highest type probability of the sentences before and after sentence i in its paragraph (0: none)."""
    before = maxima[i - 1] if i and paragraph[i - 1] == paragraph[i] else 0.0
    after = maxima[i + 1] if i + 1 < len(maxima) and paragraph[i + 1] == paragraph[i] else 0.0
    return before, after


def ranker_chance(row: list[float], params: Params) -> float:
    """The fitted ranker's chance (0..1) that a sentence with these RANKER_FEATURES is labelled painterly."""
    weights = params.ranker
    if len(weights) != len(row) + 1:
        raise ValueError(f"{len(weights)} ranker weights for {len(row)} features")
    z = weights[0] + sum(map(operator.mul, weights[1:], row))  # the same products, summed in the same order
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def ranked_priority(kind: str, row: list[float], chance: float) -> float:
    """Priority from the ranker: its chance leads (× CONFIDENCE_WEIGHT); as in `picture_priority` the type
    weight breaks near-ties, a named person lifts a passage and a pronoun opening, a glimpse (< 8 words) or
    speech (a dialogue opening, quotation marks) lowers it (a chance near 1 no longer tells such passages
    apart, and the fitted ranker may weigh speech at about nothing: a picture should come from narration)."""
    named, pronoun, short = row[_NAMED], row[_PRONOUN], row[_LOG_WORDS] < math.log1p(8)
    speech = 0.2 * row[_DIALOGUE] + 0.1 * row[_QUOTE]
    priority = (
        CONFIDENCE_WEIGHT * chance
        + 0.5 * TYPE_WEIGHT[kind]
        + 0.15 * named
        - 0.1 * pronoun
        - 0.2 * short
        - speech
    )
    return round(max(priority, 0.01), 4)


def picture_priority(
    kind: str,
    counts: list[int],
    words: int,
    names: int,
    text: str,
    confidence: float,
    place_subject: bool,
) -> float:
    c = _C
    visual = counts[c["colour"]] + counts[c["light"]] + counts[c["material"]] + counts[c["shape"]]
    concrete = visual + counts[c["place"]] + counts[c["appearance"]] + counts[c["object"]] + counts[c["body"]]
    density = (concrete + min(names, 2)) / max(words, 1)
    penalty = 0.0
    if DIALOGUE_START.match(text):
        penalty += 0.8
    if QUOTE_CHARS.search(text):
        penalty += 0.4
    penalty += 0.25 * counts[c["speech"]] + 0.2 * counts[c["abstract"]]
    penalty += min(0.6, 0.2 * len(EXCLAIM_OR_ASK.findall(text)))
    if _PRONOUN_START.match(text):
        penalty += 0.1
    bonus = 0.15 * (names > 0 or counts[c["place"]] > 0) + 0.1 * place_subject
    if words < 8:
        penalty += 0.2  # a glimpse, not a scene
    # Confidence (calibrated: the chance the passage is what it claims) leads, concreteness breaks ties:
    # weights chosen on the dev split's top-3 per chapter: 4 : 1 gave en 0.78 / ru 0.81 there, the former
    # 1 : 2 (confidence : concreteness) en 0.50.
    priority = 0.5 * TYPE_WEIGHT[kind] + CONCRETE_WEIGHT * min(density, 0.5) + CONFIDENCE_WEIGHT * confidence
    priority += bonus - penalty
    return round(max(priority, 0.01), 4)
