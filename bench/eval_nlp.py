"""Quality of the description typer on the labelled sentences in tests/unit/nlp/data/eval_*.jsonl.

    python bench/eval_nlp.py            # precision / recall per type, language and split (dev, test, all)

"dev" passages were used while tuning the lexicons and weights; "test" passages were held out (their
errors were looked at once, early on, so treat them as lightly contaminated); "fresh" passages were
written after tuning ended and never tuned on (scored before and after one last dev-driven change).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bookreader.nlp import get_pipeline

DATA = Path(__file__).resolve().parents[1] / "tests" / "unit" / "nlp" / "data"
TYPES = ("location", "character", "atmosphere", "object", "action")


def load(language: str) -> list[dict]:
    with open(DATA / f"eval_{language}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluate(language: str, split: str = "all") -> dict[str, dict[str, float]]:
    """{type: {precision, recall, support, predicted}} over the rows of `split` (dev, test, fresh, all)."""
    pipeline = get_pipeline(language)
    rows = [r for r in load(language) if split == "all" or r["split"] == split]
    predicted = [pipeline.classify_sentence(r["text"])[0] or "none" for r in rows]
    result: dict[str, dict[str, float]] = {}
    for kind in TYPES:
        tp = sum(1 for r, p in zip(rows, predicted, strict=True) if p == kind and r["label"] == kind)
        n_pred = sum(1 for p in predicted if p == kind)
        n_true = sum(1 for r in rows if r["label"] == kind)
        result[kind] = {
            "precision": tp / n_pred if n_pred else 0.0,
            "recall": tp / n_true if n_true else 0.0,
            "support": n_true,
            "predicted": n_pred,
        }
    return result


def main() -> None:
    verbose = "-v" in sys.argv
    for language in ("en", "ru"):
        for split in ("dev", "test", "fresh", "all"):
            print(f"\n[{language} / {split}]  {'type':<11} {'prec':>5} {'rec':>5} {'n':>4} {'pred':>4}")
            for kind, m in evaluate(language, split).items():
                print(
                    f"{'':>14}{kind:<11} {m['precision']:5.2f} {m['recall']:5.2f} {m['support']:4d} {m['predicted']:4d}"
                )
        if verbose:
            pipeline = get_pipeline(language)
            for r in load(language):
                got = pipeline.classify_sentence(r["text"])[0] or "none"
                if got != r["label"]:
                    print(f"  {r['split']:<4} {r['label']:<10} -> {got:<10} {r['text'][:110]}")


if __name__ == "__main__":
    main()
