"""Quality of the description finder on the labelled corpus (training/corpus.py), split by book.

    python bench/eval_nlp.py [--split test] [--first] [-v]      # or: just eval-nlp

Gold labels: each sentence's majority label (nlp-corpus/tools/readings.py); `--first` scores against the first
reading alone, as every figure before the second and third readings was measured.

For rules alone, the trained model alone and the combination (what the app runs), per language:
- per type precision / recall / F1 of single sentences (each read in its chapter window), and painterly-vs-none F1;
- top-3 per chapter: the 3 highest-priority passages of each labelled chapter window contain a sentence
  labelled painterly (any type) — the "what gets illustrated first" measure;
- calibration: of passages with confidence ≥ 0.8, the share whose type matches a sentence inside.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.corpus import chapters, first_reading, has_corpus, in_context, load, window_text

from bookreader.nlp import get_pipeline

TYPES = ("location", "character", "atmosphere", "object", "action")
MODES = ("rules", "model", "both")


def rows_of(language: str, split: str) -> list[dict]:
    rows = [r for r in load(language) if split == "all" or r["split"] == split]
    return first_reading(rows) if "--first" in sys.argv else rows


def sentence_metrics(rows: list[dict], predicted: list[str]) -> dict[str, dict[str, float]]:
    result: dict[str, dict[str, float]] = {}
    for kind in (*TYPES, "painterly"):
        if kind == "painterly":
            got = [p != "none" for p in predicted]
            want = [r["label"] != "none" for r in rows]
        else:
            got = [p == kind for p in predicted]
            want = [r["label"] == kind for r in rows]
        tp = sum(1 for g, w in zip(got, want, strict=True) if g and w)
        n_pred, n_true = sum(got), sum(want)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[kind] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": n_true,
            "predicted": n_pred,
        }
    return result


def evaluate(language: str, split: str = "test", mode: str = "both") -> dict[str, dict[str, float]]:
    """{type | "painterly": {precision, recall, f1, support, predicted}} over single sentences (in their chapter windows)."""
    rows = rows_of(language, split)
    return sentence_metrics(rows, classified(language, rows, mode))


def classified(language: str, rows: list[dict], mode: str = "both") -> list[str]:
    """The type of each row ("none" for none), every sentence read in its chapter window as the app reads a
    chapter (its neighbours are the classifier's context)."""
    pipeline = get_pipeline(language)
    previous, pipeline.scorer.mode = pipeline.scorer.mode, mode
    try:
        got = {id(r): t.scored[i][0] or "none" for r, _, t, i in in_context(pipeline.spacy, rows)}
    finally:
        pipeline.scorer.mode = previous
    return [got[id(r)] for r in rows]


def passages(language: str, split: str = "test", mode: str = "both") -> dict[str, float]:
    """Top-3-per-chapter precision and the calibration check over the split's chapter windows."""
    pipeline = get_pipeline(language)
    top = top_hits = typed_hits = confident = confident_right = 0
    bins: dict[float, list[int]] = {}  # lower edge of a 0.1-wide confidence bin → [passages, right]
    for window in chapters(rows_of(language, split)):
        text, bounds = window_text(window)
        spans = [(s, e, row["label"]) for (s, e), row in zip(bounds, window, strict=True)]
        found = pipeline.chapter_passages(text, [(0, len(text))], mode)
        labels = [{label for s, e, label in spans if s < d.end and d.start < e} for d in found]
        for d, inside in zip(found, labels, strict=True):
            edge = min(int(d.confidence * 10), 9) / 10
            tally = bins.setdefault(edge, [0, 0])
            tally[0] += 1
            tally[1] += d.type in inside
            if d.confidence >= 0.8:
                confident += 1
                confident_right += d.type in inside
        ranked = sorted(range(len(found)), key=lambda i: (-found[i].priority, found[i].start))[:3]
        for i in ranked:
            top += 1
            top_hits += bool(labels[i] - {"none"})
            typed_hits += found[i].type in labels[i]
    return {
        "top3": top_hits / top if top else 0.0,
        "top3_typed": typed_hits / top if top else 0.0,
        "top_n": top,
        "calibrated": confident_right / confident if confident else 0.0,
        "confident_n": confident,
        "bins": dict(sorted(bins.items())),
    }


def print_calibration(result: dict, split: str) -> None:
    """Confidence bins of the passages the app would store (mode both): how often their type is right."""
    print(
        f"calibration on {split} (both): confidence bin -> passages, share whose type a sentence inside has"
    )
    for edge, (n, right) in result["bins"].items():
        print(f"  [{edge:.1f}, {edge + 0.1:.1f})  {n:4d} passages  {right / n:5.2f} right")


def main() -> None:
    split = sys.argv[sys.argv.index("--split") + 1] if "--split" in sys.argv else "test"
    for language in ("en", "ru"):
        source = "nlp-corpus" if has_corpus(language) else "fallback: tests/unit/nlp/data (no nlp-corpus)"
        n = len(rows_of(language, split))
        print(f"\n=== {language} / {split} ({n} sentences; {source}); model {get_pipeline(language).version}")
        print(f"{'':<8}{'type':<11} {'P':>5} {'R':>5} {'F1':>5} {'n':>5} {'pred':>5}")
        for mode in MODES:
            for kind, m in evaluate(language, split, mode).items():
                print(
                    f"{mode:<8}{kind:<11} {m['precision']:5.2f} {m['recall']:5.2f} {m['f1']:5.2f}"
                    f" {m['support']:5d} {m['predicted']:5d}"
                )
        for mode in MODES:
            p = passages(language, split, mode)
            dev = passages(language, "dev", mode)
            print(
                f"{mode:<8}top-3 per chapter {p['top3']:.2f} (type matches {p['top3_typed']:.2f}, "
                f"{p['top_n']} passages); confidence ≥ 0.8 right: {p['calibrated']:.2f} of {p['confident_n']}"
                f" (dev {dev['calibrated']:.2f} of {dev['confident_n']})"
            )
        print_calibration(passages(language, split, "both"), split)
        if "-v" in sys.argv:
            rows = rows_of(language, split)
            for r, got in zip(rows, classified(language, rows), strict=True):
                if got != r["label"]:
                    print(f"  {r['label']:<10} -> {got:<10} {r['text'][:110]}")


if __name__ == "__main__":
    main()
