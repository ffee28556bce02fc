"""Train the shipped sentence classifier and fit its combination with the rules (`just train-nlp`).

    python training/train_nlp.py [en] [ru] [--config training/config.cfg] [--out DIR]

For each language:
1. every corpus sentence (training/corpus.py; of train, those its first two readings agree on) goes
   through the runtime spaCy pipeline without the classifier (nlp/components.py), in its chapter window
   (`corpus.in_context`); its feature doc (lemmas + cue markers) gets the label as `cats`;
2. `spacy train training/config.cfg` (textcat, exclusive classes with "none", seed 0) on the train split,
   scored on dev;
3. model-best is copied into src/bookreader/nlp/models/<lang>/ (package data, loaded at run time);
4. FOLDS more models, each trained without one group of train books (`held_out_books`), read the books they
   never saw; on those sentences and dev (training/fit.py): the neighbours' weight, the model weight, the
   per-type thresholds of `ranking.combine`, the per-type calibration of its score and the ranker →
   models/<lang>/calibration.json, with a version hash.
Same corpus + same config → the same files on the same CPU (fixed seed, single-threaded CPU training). Another
CPU may sum floats in another order: on a 2026-12-04 machine the en/ru weights came out within 1.6e-4 of the
shipped ones (a new digest, the same dev AP to three decimals) — keep the shipped files then, don't bump.
Printed on the way: the classifier's average precision per type on dev and out of fold (fit.ranking_report),
the figure to compare a feature or config change by.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from spacy.cli.train import train as spacy_train
from spacy.tokens import Doc, DocBin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.corpus import ROOT, agreed, in_context, load
from training.fit import fit, fit_ranker, ranker_data, ranking_report, sentence_outputs

from bookreader.nlp.components import build_nlp, textcat_component
from bookreader.nlp.features import sentence_features
from bookreader.nlp.ranking import TYPES
from bookreader.nlp.versions import model_version, version_generation

CONFIG = ROOT / "training" / "config.cfg"
MODELS = ROOT / "src" / "bookreader" / "nlp" / "models"


def feature_docs(nlp, rows: list[dict]) -> dict[int, Doc]:
    """One feature doc per row (by `id(row)`), each sentence read in its chapter window (its neighbours are
    context; `in_context` yields window by window, not in the order of `rows`)."""
    docs = {}
    for row, doc, table, i in in_context(nlp, rows):
        words = sentence_features(doc, table, i)
        feature = Doc(nlp.vocab, words=words or ["@empty"])
        feature.cats = {t: float(row["label"] == t) for t in (*TYPES, "none")}  # exclusive classes
        docs[id(row)] = feature
    return docs


def next_version(language: str, digest: str, shipped: str) -> str:
    """ "<lang>-<generation>-<digest>": the shipped generation, + 1 when the weights changed (so re-analysis
    can ask for books older than a generation; retraining the same weights keeps the version)."""
    generation = version_generation(shipped)
    if not shipped.endswith(f"-{digest}"):
        generation += 1
    return f"{language}-{generation}-{digest}"


FOLDS = 3


def train_language(
    language: str, config: Path = CONFIG, target: Path | None = None, refit: bool = False, folds: int = FOLDS
) -> None:
    target = target or MODELS / language
    shipped = model_version(language)  # read before the package copy is replaced
    rows = load(language)
    train_rows = [r for r in rows if r["split"] == "train"]
    dev_rows = [r for r in rows if r["split"] == "dev"]
    print(f"[{language}] train {sum(map(agreed, train_rows))} sentences, dev {len(dev_rows)}", flush=True)
    docs = feature_docs(build_nlp(language, model=False), train_rows + dev_rows)
    dev_docs = [docs[id(r)] for r in dev_rows]
    if not refit:
        train_model(language, config, target, [docs[id(r)] for r in train_rows if agreed(r)], dev_docs)
    nlp = build_nlp(language, model_dir=str(target), params_path=str(target / "missing.json"))
    parts = [(nlp, dev_rows)]
    with tempfile.TemporaryDirectory() as tmp:
        for k, held in enumerate(held_out_books(train_rows, folds)):
            fold = Path(tmp) / f"fold{k}"
            kept = [docs[id(r)] for r in train_rows if r["book"] not in held and agreed(r)]
            train_model(language, config, fold, kept, dev_docs)
            fold_nlp = build_nlp(language, model_dir=str(fold), params_path=str(fold / "missing.json"))
            parts.append((fold_nlp, [r for r in train_rows if r["book"] in held]))
    fit_rows = [r for _, part in parts for r in part]
    outputs = [o for n, part in parts for o in sentence_outputs(n, part)]
    print_ranking(language, fit_rows, outputs, len(dev_rows))
    params = fit(fit_rows, outputs, "")
    for part_nlp, _ in parts:
        part_nlp.get_pipe("br_scorer").params = params  # the ranker reads the fitted confidence
    ranker_parts = [ranker_data(n, part) for n, part in parts]
    params.ranker = fit_ranker(
        np.vstack([f for f, _ in ranker_parts]), np.concatenate([y for _, y in ranker_parts])
    )
    fitted = json.dumps({f: getattr(params, f) for f in params.__struct_fields__ if f != "version"})
    weights = (target / textcat_component(target)[0] / "model").read_bytes()
    digest = hashlib.sha256(weights + fitted.encode()).hexdigest()[:12]  # weights + combination
    params.version = next_version(language, digest, shipped)
    (target / "calibration.json").write_text(
        json.dumps({f: getattr(params, f) for f in params.__struct_fields__}, indent=1) + "\n", "utf-8"
    )
    print(
        f"[{language}] model {digest}: weight {params.model_weight}, thresholds {params.thresholds}, "
        f"model alone {params.model_threshold}; fitted on {len(fit_rows)} sentences",
        flush=True,
    )


def print_ranking(language: str, fit_rows: list[dict], outputs: list, n_dev: int) -> None:
    """The classifier's average precision per type on dev (the shipped model) and out of fold (train books,
    each read by the fold model that never saw it; parts in that order): the figure to compare changes by."""
    for name, rows, part in (
        ("dev", fit_rows[:n_dev], outputs[:n_dev]),
        ("out of fold", fit_rows[n_dev:], outputs[n_dev:]),
    ):
        report = ranking_report(rows, part)
        if report:
            figures = ", ".join(f"{kind} {value:.3f}" for kind, value in report.items())
            print(f"[{language}] classifier AP, {name} ({len(rows)} sentences): {figures}", flush=True)


def held_out_books(train_rows: list[dict], folds: int) -> list[set[str]]:
    """The train books in `folds` groups (every folds-th book in name order): each group is read, for the
    fit, by a model trained on the other groups — a sentence is never scored by a model that saw its book."""
    books = sorted({r["book"] for r in train_rows})
    return [set(books[k::folds]) for k in range(folds)] if folds > 1 else []


def train_model(
    language: str, config: Path, target: Path, train_docs: list[Doc], dev_docs: list[Doc]
) -> None:
    """`spacy train` on the feature docs of the train split (dev scores the steps) → `target`."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, part in (("train", train_docs), ("dev", dev_docs)):
            DocBin(docs=part, store_user_data=False).to_disk(Path(tmp) / f"{name}.spacy")
        overrides = {
            "paths.train": str(Path(tmp) / "train.spacy"),
            "paths.dev": str(Path(tmp) / "dev.spacy"),
            "nlp.lang": language,
            "system.seed": 0,
        }
        spacy_train(config, Path(tmp) / "out", overrides=overrides)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(tmp) / "out" / "model-best", target)
    config = (target / "config.cfg").read_text("utf-8")  # the temporary corpus paths differ per run
    config = re.sub(r'^(train|dev) = ".*"$', r"\1 = null", config, flags=re.MULTILINE)
    (target / "config.cfg").write_text(config, "utf-8")
    meta = json.loads((target / "meta.json").read_text("utf-8"))
    for key in ("spacy_git_version", "performance"):
        meta.pop(key, None)  # keep the shipped files stable between identical runs
    (target / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("languages", nargs="*", default=["en", "ru"])
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--out", type=Path, default=None, help="write <out>/<lang> instead of the package")
    parser.add_argument(
        "--refit", action="store_true", help="keep the trained weights, refit calibration.json"
    )
    parser.add_argument(
        "--folds", type=int, default=FOLDS, help="train-book folds read for the fit (1: dev only)"
    )
    args = parser.parse_args()
    for language in args.languages:
        train_language(
            language, args.config, args.out / language if args.out else None, args.refit, args.folds
        )


if __name__ == "__main__":
    main()
