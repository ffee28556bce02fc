"""The last component, `br_scorer`: per sentence the rule type (scoring.classify), the model's probabilities and
the fitted combination (ranking.combine_all) → type, calibrated confidence and picture priority (the fitted ranker
of ranking.py, or `picture_priority` when the shipped calibration has none)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from spacy.tokens import Doc

from .lexicon import get_lexicon
from .names import sentence_names
from .ranking import (
    Params,
    combine,
    combine_all,
    neighbour_maxima,
    picture_priority,
    ranked_priority,
    ranker_chance,
    ranker_row,
    with_neighbours,
)
from .scoring import classify, may_classify

if TYPE_CHECKING:
    from .table import SentenceTable


class Scorer:
    """Per sentence: rule type, model probabilities → (type, calibrated confidence, picture priority)."""

    def __init__(self, language: str, params: Params) -> None:
        self.language = language
        self.lexicon = get_lexicon(language)
        self.params = params
        self.mode = "both"  # "rules" | "model" | "both" (the evaluation compares them)

    def __call__(self, doc: Doc) -> Doc:
        table: SentenceTable = doc.user_data["br"]
        scored: list[tuple[str | None, float, float]] = []
        table.scored = scored
        counts_all, words_all = table.rows()
        rules: list[tuple[str | None, float]] = []
        names_all = []
        # A fitted combination of the model alone (w · p + 0 · rule = p, the same floats: both shipped fits have
        # w = 1.0) throws the rule types away, so none are made.
        model_alone = self.mode == "both" and table.probs is not None and self.params.model_weight == 1.0
        if model_alone or not len(table.spans):
            possible = [False] * len(table.spans)
        else:
            possible = may_classify(table.counts, table.subject)
        dialogue, quote, exclaims = table.marks()
        text, language, lexicon, subject = table.text, self.language, self.lexicon, table.subject
        for i, (start, end) in enumerate(table.spans):
            sentence = text[start:end]
            mentions = table.mentions[i] = sentence_names(sentence, language, lexicon)
            names = len({m.key for m in mentions}) if mentions else 0
            if possible[i]:  # else too few cues for any type: classify's (None, 0, 0) without its work
                marks = dialogue[i], quote[i], exclaims[i]
                rules.append(classify(counts_all[i], words_all[i], names, sentence, subject[i], marks)[:2])
            else:
                rules.append((None, 0.0))
            names_all.append(names)
        if self.mode == "both" and table.probs is not None and rules:
            mixed = with_neighbours(table.probs, table.paragraph, self.params.context)
            combined = combine_all(rules, mixed, self.params)  # all sentences at once, same results
        else:
            probs_all = table.probs.tolist() if table.probs is not None else [None] * len(rules)
            combined = [
                combine(k, c, p, self.params, self.mode) for (k, c), p in zip(rules, probs_all, strict=True)
            ]
        maxima = table.probs.max(axis=1).astype(np.float64).tolist() if table.probs is not None else None
        ranker = bool(self.params.ranker) and maxima is not None
        # every row as float64 lists at once (the ranker reads those of the typed sentences)
        probs_rows = table.probs.astype(np.float64).tolist() if ranker and table.probs is not None else []
        for i, (kind, confidence) in enumerate(combined):
            words = words_all[i]
            if kind is None or words < 4:
                scored.append((None, 0.0, 0.0))
                continue
            start, end = table.spans[i]
            sentence, counts, names = table.text[start:end], counts_all[i], names_all[i]
            if ranker:
                assert maxima is not None
                around = neighbour_maxima(maxima, table.paragraph, i)
                probs = probs_rows[i]
                marks = dialogue[i], quote[i], exclaims[i]
                row = ranker_row(counts, words, names, sentence, confidence, True, probs, around, marks)
                chance = table.chances[i] = ranker_chance(row, self.params)
                priority = ranked_priority(kind, row, chance)
            else:  # no fitted ranker: confidence leads, concreteness breaks ties
                priority = picture_priority(
                    kind, counts, words, names, sentence, confidence, table.subject[i]
                )
            scored.append((kind, confidence, priority))
        return doc
