"""Train the shipped sentence classifier and fit its combination with the rules (`just train-nlp`).

    python training/train_nlp.py [en] [ru]

For each language:
1. every corpus sentence (training/corpus.py) goes through the runtime spaCy pipeline without the
   classifier (nlp/components.py); its feature doc (lemmas + cue markers) gets the label as `cats`;
2. `spacy train training/config.cfg` (textcat_multilabel, bag-of-words, seed 0) on train, scored on dev;
3. model-best is copied into src/bookreader/nlp/models/<lang>/ (package data, loaded at run time);
4. on dev: the model weight and threshold of `ranking.combine` are chosen (best typed micro-F1) and the
   combined score is calibrated (isotonic) → models/<lang>/calibration.json, with a version hash.
Same corpus + same config → the same files (fixed seed, single-threaded CPU training).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

from spacy.cli.train import train as spacy_train
from spacy.tokens import Doc, DocBin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.corpus import ROOT, load

from bookreader.nlp.components import build_nlp, sentence_features
from bookreader.nlp.ranking import TYPES, Params, raw_scores

CONFIG = ROOT / "training" / "config.cfg"
MODELS = ROOT / "src" / "bookreader" / "nlp" / "models"


def feature_docs(nlp, rows: list[dict]) -> list[Doc]:
    docs = []
    for row in rows:
        doc = nlp.make_doc(row["text"])
        doc.user_data["br_single"] = True
        doc = nlp(doc)
        table = doc.user_data["br"]
        words = sentence_features(doc, table, 0) if table.spans else []
        feature = Doc(nlp.vocab, words=words or ["@empty"])
        feature.cats = {t: float(row["label"] == t) for t in TYPES}
        docs.append(feature)
    return docs


def sentence_outputs(nlp, rows: list[dict]) -> list[tuple[str | None, float, list[float] | None]]:
    """(rule type, rule confidence, model probabilities) per row."""
    scorer = nlp.get_pipe("br_scorer")
    scorer.mode = "rules"
    out = []
    for row in rows:
        doc = nlp.make_doc(row["text"])
        doc.user_data["br_single"] = True
        table = nlp(doc).user_data["br"]
        if not table.spans:
            out.append((None, 0.0, None))
            continue
        kind, confidence, _ = table.scored[0]
        probs = table.probs[0].tolist() if table.probs is not None else None
        out.append((kind, confidence, probs))
    return out


def typed_f1(rows: list[dict], predicted: list[str | None]) -> float:
    tp = sum(1 for r, p in zip(rows, predicted, strict=True) if p is not None and p == r["label"])
    n_pred = sum(1 for p in predicted if p is not None)
    n_true = sum(1 for r in rows if r["label"] != "none")
    precision, recall = tp / max(n_pred, 1), tp / max(n_true, 1)
    return 2 * precision * recall / max(precision + recall, 1e-9)


def isotonic(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pool-adjacent-violators over (score, 0/1) points → ascending (mean score, accuracy) blocks."""
    blocks: list[list[float]] = []  # [sum_x, sum_y, n]
    for x, y in sorted(points):
        blocks.append([x, y, 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            x2, y2, n2 = blocks.pop()
            blocks[-1] = [blocks[-1][0] + x2, blocks[-1][1] + y2, blocks[-1][2] + n2]
    return [(round(sx / n, 4), round(sy / n, 4)) for sx, sy, n in blocks]


def fit(rows: list[dict], outputs: list, version: str) -> Params:
    best = (-1.0, 0.0, 0.3)
    for w10 in range(0, 11):
        for t100 in range(10, 80, 5):
            w, threshold = w10 / 10, t100 / 100
            predicted = []
            for kind, confidence, probs in outputs:
                scores = raw_scores(kind, confidence, probs, w)
                top = max(range(len(TYPES)), key=scores.__getitem__)
                predicted.append(TYPES[top] if scores[top] >= threshold else None)
            f1 = typed_f1(rows, predicted)
            if f1 > best[0] + 1e-9:
                best = (f1, w, threshold)
    _, w, threshold = best
    points = []
    for row, (kind, confidence, probs) in zip(rows, outputs, strict=True):
        scores = raw_scores(kind, confidence, probs, w)
        top = max(range(len(TYPES)), key=scores.__getitem__)
        if scores[top] >= threshold:
            points.append((scores[top], float(TYPES[top] == row["label"])))
    return Params(version, w, threshold, 0.5, isotonic(points))


def train_language(language: str) -> None:
    rows = load(language)
    train_rows = [r for r in rows if r["split"] == "train"]
    dev_rows = [r for r in rows if r["split"] == "dev"]
    print(f"[{language}] train {len(train_rows)} sentences, dev {len(dev_rows)}")
    features = build_nlp(language, model=False)
    target = MODELS / language
    with tempfile.TemporaryDirectory() as tmp:
        for name, part in (("train", train_rows), ("dev", dev_rows)):
            DocBin(docs=feature_docs(features, part), store_user_data=False).to_disk(
                Path(tmp) / f"{name}.spacy"
            )
        overrides = {
            "paths.train": str(Path(tmp) / "train.spacy"),
            "paths.dev": str(Path(tmp) / "dev.spacy"),
            "nlp.lang": language,
            "system.seed": 0,
        }
        spacy_train(CONFIG, Path(tmp) / "out", overrides=overrides)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(tmp) / "out" / "model-best", target)
    meta = json.loads((target / "meta.json").read_text("utf-8"))
    for key in ("spacy_git_version", "performance"):
        meta.pop(key, None)  # keep the shipped files stable between identical runs
    (target / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", "utf-8")
    digest = hashlib.sha256((target / "textcat_multilabel" / "model").read_bytes()).hexdigest()[:12]
    nlp = build_nlp(language, model_dir=str(target))
    params = fit(dev_rows, sentence_outputs(nlp, dev_rows), f"{language}-{digest}")
    (target / "calibration.json").write_text(
        json.dumps({f: getattr(params, f) for f in params.__struct_fields__}, indent=1) + "\n", "utf-8"
    )
    print(f"[{language}] model {digest}: weight {params.model_weight}, threshold {params.threshold}")


def main() -> None:
    for language in sys.argv[1:] or ["en", "ru"]:
        train_language(language)


if __name__ == "__main__":
    main()
