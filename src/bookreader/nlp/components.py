"""The spaCy components of the analysis pipeline, registered with `@Language.factory`.

    nlp = spacy.blank(lang)        # spaCy's tokenizer
    br_sentences                   # sentence spans: paragraph-aware rules of text.py, exact char offsets
    br_lemmatizer                  # lemmas: lexicon forms, then spacy-lookups-data (en) / pymorphy3 (ru)
    br_cues                        # PhraseMatcher (LEMMA) over the cue lexicons + Matcher phrase patterns
    br_classifier                  # the shipped textcat (exclusive classes) on per-sentence feature docs
    br_scorer                      # rules + model → type, calibrated confidence, picture priority (scorer.py)

Per-sentence results live in `doc.user_data["br"]` (a `SentenceTable`, table.py); pipeline.py joins sentences into
passages. `build_nlp(lang)` assembles the pipeline; the trained model is read from the package
(`nlp/models/<lang>/`), never downloaded.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.attrs import IDX, IS_ALPHA, LEMMA, LOWER, SENT_START
from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc

from .clauses import ClauseCuts, clause_features, with_clauses
from .features import AppearancePhrases, BowLayers, CuePhrases, marker_table, sentence_keys, sentence_markers
from .lexicon import CATEGORIES, INDEX, get_lexicon, morph_analyzer
from .ranking import TYPES, load_params
from .scorer import Scorer
from .table import SentenceTable
from .text import paragraph_spans, sentence_spans
from .versions import MODELS

TEXTCATS = ("textcat", "textcat_multilabel")  # the factories a shipped model's classifier may have

_PLACE, _PREP, _APPEARANCE = INDEX["place"], INDEX["place_prep"], INDEX["appearance"]
_COLOUR, _BODY = INDEX["colour"], INDEX["body"]


class SentenceSegmenter:
    """Sentences from the regex rules of text.py, within paragraphs (user_data["br_paragraphs"]).

    `user_data["br_single"]`: the whole text is one sentence; `user_data["br_spans"]`: these (start, end) are the
    sentences, one paragraph (labelled sentences in their chapter window, for training and evaluation)."""

    def __call__(self, doc: Doc) -> Doc:
        text = doc.user_data.get("br_text")  # set by Pipeline.run (doc.text rebuilds the string)
        if text is None:
            text = doc.text
        if doc.user_data.get("br_single"):
            start, end = len(text) - len(text.lstrip()), len(text.rstrip())
            spans, paragraph = ([(start, end)], [0]) if end > start else ([], [])
        elif doc.user_data.get("br_spans") is not None:
            spans = [(int(s), int(e)) for s, e in doc.user_data["br_spans"]]
            paragraph = [0] * len(spans)
        else:
            spans, paragraph = [], []
            for number, (p_start, p_end) in enumerate(
                paragraph_spans(text, doc.user_data.get("br_paragraphs") or [])
            ):
                found = sentence_spans(text, p_start, p_end)
                spans += found
                paragraph += [number] * len(found)
        values = doc.to_array([IDX, LOWER, IS_ALPHA]) if len(doc) else np.zeros((0, 3), np.uint64)
        idx = values[:, 0].astype(np.int64)
        bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        first = np.searchsorted(idx, bounds[:, 0], "right") - 1  # the token holding the first char
        first = np.maximum(first, 0)
        last = np.searchsorted(idx, bounds[:, 1], "left")
        tokens = np.stack([first, np.maximum(last, first)], axis=1) if len(spans) else np.zeros((0, 2), int)
        if len(doc):
            starts = np.zeros(len(doc), dtype=np.uint64)  # 1 = starts a sentence, 0 = does not
            starts[first[first < len(doc)]] = 1
            doc.from_array([SENT_START], starts.reshape(-1, 1))  # type: ignore[arg-type]  # any 2-d int array
        lower, alpha = np.ascontiguousarray(values[:, 1]), values[:, 2].astype(bool)
        table = SentenceTable(text, spans, paragraph, tokens, lower, alpha)
        doc.user_data["br"] = table
        return doc


class CueLemmatizer:
    """token.lemma: the lexicon's own lemma for a cue form, else spacy-lookups-data's English lookup
    table, else pymorphy3's normal form (Russian). Cached per lower-case form for the process."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.lexicon_map = get_lexicon(language).lemma_of
        self.table = english_lemma_table() if language == "en" else {}
        self.cache: dict[int, int] = {}  # LOWER hash → LEMMA hash
        self.keys = np.zeros(0, np.uint64)  # the cache as sorted arrays, for whole chapters
        self.lemmas = np.zeros(0, np.uint64)

    def lemma(self, lower: str) -> str:
        hit = self.lexicon_map.get(lower)
        if hit is not None:
            return hit
        if self.language == "ru":
            if not lower.isalpha():
                return lower
            return str(morph_analyzer().parse(lower)[0].normal_form).replace("ё", "е")
        return self.table.get(lower, lower)

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        table: SentenceTable | None = doc.user_data.get("br")  # none for the cue patterns' docs
        lowers = table.lower if table is not None else doc.to_array(LOWER)
        if len(doc) < 200:  # a sentence or a pattern: the dict alone
            mapped = np.asarray([self.lemma_hash(k, doc) for k in lowers.tolist()], np.uint64)
        else:  # a chapter: every token's lemma at once from the sorted arrays
            where = np.minimum(np.searchsorted(self.keys, lowers), max(len(self.keys) - 1, 0))
            missing = self.keys[where] != lowers if len(self.keys) else np.ones(len(lowers), dtype=bool)
            if missing.any():  # forms the arrays do not have yet
                new = np.unique(lowers[missing])
                lemmas = np.asarray([self.lemma_hash(k, doc) for k in new.tolist()], np.uint64)
                order = np.argsort(keys := np.concatenate([self.keys, new]))
                self.keys, self.lemmas = keys[order], np.concatenate([self.lemmas, lemmas])[order]
                where = np.searchsorted(self.keys, lowers)
            mapped = self.lemmas[where]
        doc.from_array([LEMMA], mapped.reshape(-1, 1))  # type: ignore[arg-type]  # any 2-d int array
        if table is not None:
            table.lemmas = mapped
        return doc

    def lemma_hash(self, lower: int, doc: Doc) -> int:
        lemma = self.cache.get(lower)
        if lemma is None:
            strings = doc.vocab.strings
            lemma = self.cache[lower] = strings.add(self.lemma(strings[lower]).lower())
        return lemma


class CueMatcher:
    """Cue counts per sentence: one PhraseMatcher rule per lexicon category (patterns are lemmas), plus a
    Matcher pattern for appearance phrases ("with grey eyes", "с седой бородой"; features.AppearancePhrases)."""

    def __init__(self, nlp: Language, language: str) -> None:
        lexicon = get_lexicon(language)
        lemmatizer = nlp.get_pipe("br_lemmatizer")
        by_category: dict[int, set[str]] = {}
        for form, cats in lexicon.lookup.items():
            for c in cats:
                by_category.setdefault(c, set()).add(lexicon.lemma_of.get(form, form))
        self.phrases = CuePhrases(nlp.vocab)  # a PhraseMatcher on LEMMA, one key per category
        for c, lemmas in sorted(by_category.items()):
            self.phrases.add(c, [lemmatizer(nlp.make_doc(lemma)) for lemma in sorted(lemmas)])
        colours = sorted(
            {lexicon.lemma_of.get(f, f) for f, c in lexicon.lookup.items() if INDEX["colour"] in c}
        )
        body = sorted({lexicon.lemma_of.get(f, f) for f, c in lexicon.lookup.items() if INDEX["body"] in c})
        self.appearance = AppearancePhrases(colours, body)  # the Matcher pattern, counted in numpy

    def __call__(self, doc: Doc) -> Doc:
        table: SentenceTable = doc.user_data["br"]
        if not table.spans:
            return doc
        alpha = table.alpha
        cumulative = table.words_before = np.concatenate([[0], np.cumsum(alpha, dtype=np.int64)])
        table.words = (cumulative[table.tokens[:, 1]] - cumulative[table.tokens[:, 0]]).astype(np.int32)
        at, category = self.phrases(doc, table.lemmas)  # start token and category of each match
        table.cue_at, table.cue_category = at, category
        if not len(at):
            return doc
        starts = table.tokens[:, 0]
        sentence = np.searchsorted(starts, at, "right") - 1
        inside = (sentence >= 0) & (at < table.tokens[np.maximum(sentence, 0), 1])
        np.add.at(table.counts, (sentence[inside], category[inside]), 1)
        # appearance phrases, only where a colour and a body part already met in one sentence
        both = np.flatnonzero((table.counts[:, _COLOUR] > 0) & (table.counts[:, _BODY] > 0))
        if len(both):
            found = self.appearance.counts(table.lower, alpha, table.lemmas, table.tokens[both])
            table.counts[both, _APPEARANCE] += found.astype(np.int32)
        places = np.unique(at[category == _PLACE])
        preps = set(at[category == _PREP].tolist())
        # only a sentence with a place noun among its tokens can have one for a subject
        has_place = np.searchsorted(places, table.tokens[:, 1]) > np.searchsorted(places, table.tokens[:, 0])
        place_set = set(places.tolist())
        for i in np.flatnonzero(has_place).tolist():
            a, b = table.tokens[i].tolist()
            table.subject[i] = _place_subject(alpha[a:b].tolist(), a, place_set, preps)
        return doc


def _place_subject(alpha: list[int], a: int, places: set[int], preps: set[int]) -> bool:
    """A place noun among the first words, before any place preposition ("The hall was…");
    `alpha`: IS_ALPHA of the sentence's tokens, the first of them token `a`."""
    position = 0
    for t, is_alpha in enumerate(alpha, a):
        if position >= 4:
            return False
        if is_alpha:
            if t in preps:
                return False
            if t in places:
                return position < 3
            position += 1
    return False


class _Features:
    """Stands in for a Doc in the bag-of-words model: `extract_ngrams` only calls `to_array([ORTH])`,
    and an ORTH hash is the hash of the string — the lemma hashes of the words plus the markers'."""

    __slots__ = ("keys",)

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys

    def to_array(self, attrs: object) -> np.ndarray:
        return self.keys

    def __len__(self) -> int:
        return len(self.keys)


class SentenceClassifier:
    """Type probabilities from the trained textcat pipeline shipped in nlp/models/<lang> (its component may be
    `textcat`, exclusive classes with "none", or `textcat_multilabel`)."""

    def __init__(self, nlp: Language, model_dir: str | None) -> None:
        path = Path(model_dir) if model_dir else Path(str(MODELS.joinpath(str(nlp.lang))))
        self.textcat: Any = None  # spaCy's TextCategorizer (create_pipe is typed as a bare callable)
        if (path / "config.cfg").is_file():
            # Only the classifier: `spacy.load` would build a second Language with its own tokenizer
            # (a second of cold start per language); the weights are hashed n-grams, no vocab needed.
            name, settings = textcat_component(path)
            factory = {k: v for k, v in settings.items() if k != "factory"}
            self.textcat = nlp.create_pipe(settings["factory"], name="br_textcat", config=factory)
            self.textcat.from_disk(path / name, exclude=["vocab"])
            # the columns of TYPES (an exclusive model's "none" left out)
            self.order = [list(self.textcat.labels).index(t) for t in TYPES]
        names = [f"@{c}" for c in CATEGORIES] + ["@dialogue", "@quote", "@subject", "@empty"]
        self.marker_hashes = {m: get_string_id(m) for m in names + [f"@len{n}" for n in range(6)]}
        self.markers = marker_table(self.marker_hashes)
        self.bow = BowLayers.find(self.textcat.model) if self.textcat is not None else None
        self.cuts = ClauseCuts(str(nlp.lang))

    def __call__(self, doc: Doc) -> Doc:
        table: SentenceTable = doc.user_data["br"]
        if self.textcat is None or not table.spans:
            return doc
        owners, clause_keys, clause_lengths = clause_features(table, self)
        if self.bow is None:
            probs = np.asarray(
                self.textcat.model.predict(self.feature_docs(table, table.lemmas, table.alpha))
            )
            clause_probs = self.predict_keys(clause_keys, clause_lengths) if len(owners) else probs[:0]
        else:  # the same features for all sentences at once (features.py), their clauses' in the same call
            dialogue, quote, _ = table.marks()
            flags = np.stack([dialogue, quote, table.subject], axis=1)  # bools, one row per sentence
            keys, lengths = sentence_keys(
                table.lemmas, table.alpha, table.tokens, table.counts, table.words, flags, self.markers
            )
            both = self.bow.predict(
                np.concatenate([keys, clause_keys]), np.concatenate([lengths, clause_lengths])
            )  # one row per sentence or clause, each summed on its own: the same as two calls
            probs, clause_probs = both[: len(lengths)], both[len(lengths) :]
        table.sentence_probs = probs[:, self.order]
        table.probs = table.sentence_probs  # no clauses: the sentences' own
        if len(owners):
            table.probs = with_clauses(table.sentence_probs, owners, clause_probs[:, self.order])
        return doc

    def predict_keys(self, keys: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Probabilities (shipped label order) of feature sequences laid end to end (`sentence_keys`)."""
        if self.bow is not None:
            return np.asarray(self.bow.predict(keys, lengths))
        split = np.split(keys, np.cumsum(lengths)[:-1])
        return np.asarray(self.textcat.model.predict([_Features(k) for k in split]))

    def feature_docs(self, table: SentenceTable, lemmas: np.ndarray, alpha: np.ndarray) -> list[_Features]:
        """One stand-in doc per sentence: its words' lemma hashes, then its markers' (`sentence_features`)."""
        hashes, empty = self.marker_hashes, np.asarray([self.marker_hashes["@empty"]], dtype=np.uint64)
        batch = []
        for i, (a, b) in enumerate(table.tokens.tolist()):
            words = lemmas[a:b][alpha[a:b]]
            markers = np.fromiter((hashes[m] for m in sentence_markers(table, i)), np.uint64)
            keys = np.concatenate([words, markers]) if len(words) or len(markers) else empty
            batch.append(_Features(keys))
        return batch


def textcat_component(model_dir: Path) -> tuple[str, dict[str, Any]]:
    """(component name = its folder, its config) of the classifier in a trained model's config.cfg."""
    config = dict(spacy.util.load_config(model_dir / "config.cfg", interpolate=True)["components"])
    return next((k, v) for k, v in config.items() if v.get("factory") in TEXTCATS)


@cache
def english_lemma_table() -> dict[str, str]:
    """spacy-lookups-data's English lemma lookup table (read directly: its entry points load slowly)."""
    data = resources.files("spacy_lookups_data").joinpath("data", "en_lemma_lookup.json.gz").read_bytes()
    table: dict[str, str] = json.loads(gzip.decompress(data))
    return table


@Language.factory("br_sentences")
def make_sentences(nlp: Language, name: str) -> SentenceSegmenter:
    return SentenceSegmenter()


@Language.factory("br_lemmatizer")
def make_lemmatizer(nlp: Language, name: str) -> CueLemmatizer:
    return CueLemmatizer(str(nlp.lang))


@Language.factory("br_cues")
def make_cues(nlp: Language, name: str) -> CueMatcher:
    return CueMatcher(nlp, str(nlp.lang))


@Language.factory("br_classifier", default_config={"model_dir": None})
def make_classifier(nlp: Language, name: str, model_dir: str | None) -> SentenceClassifier:
    return SentenceClassifier(nlp, model_dir)


@Language.factory("br_scorer", default_config={"params_path": None})
def make_scorer(nlp: Language, name: str, params_path: str | None) -> Scorer:
    path = Path(params_path) if params_path else Path(str(MODELS.joinpath(str(nlp.lang), "calibration.json")))
    return Scorer(str(nlp.lang), load_params(path))


def build_nlp(
    language: str, *, model: bool = True, model_dir: str | None = None, params_path: str | None = None
) -> Language:
    """spacy.blank(language) + the components above (`model=False`: no classifier, e.g. for training;
    `model_dir` / `params_path`: another model and calibration than the shipped ones)."""
    nlp = spacy.blank(language)
    nlp.max_length = 50_000_000  # chapters are tokenized whole; spaCy's 1M guard is for its parser
    nlp.add_pipe("br_sentences")
    nlp.add_pipe("br_lemmatizer")
    nlp.add_pipe("br_cues")
    if model:
        nlp.add_pipe("br_classifier", config={"model_dir": model_dir})
    nlp.add_pipe("br_scorer", config={"params_path": params_path})
    return nlp
