"""Independent readings of the labelled windows, and the label they agree on.

- ``labels/<lang>/<slug>.txt`` — the first reading (one annotator per book, the rounds in README.md);
- ``labels-second/<lang>/<slug>.txt`` — a blind second reading of every window by another annotator, who saw
  the sentences only (not the first labels, not any model output), by the same guideline;
- ``labels-third/<lang>/<slug>.txt`` — a blind third reading of only the sentences where the first two differ
  (windows of one sentence, read with the sentences around it shown as context).

The label of a sentence is the majority of its readings; where the first two differ and no third reading
exists yet, the first stands; where all three differ, the third (the reading made for that sentence) breaks
the tie. Each jsonl row keeps its readings ("readings": first, second, third code letters) so agreement
can be measured (`python build.py agreement`).
"""

import json
import re
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent
CODES = {"l": "location", "c": "character", "a": "atmosphere", "o": "object", "x": "action", "n": "none"}
FOLDERS = ("labels", "labels-second", "labels-third")


def read_windows(path: Path) -> list[tuple[int, int, str]]:
    """``chapter:start:codes`` lines (``#`` comments, whitespace inside codes ignored) → windows."""
    windows = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        raw = raw.split("#", 1)[0].strip()
        if not raw:
            continue
        ch, st, codes = raw.split(":")
        codes = re.sub(r"\s+", "", codes)
        bad = set(codes) - set(CODES)
        if bad:
            raise ValueError(f"{path.name} {ch}:{st}: unknown codes {bad}")
        windows.append((int(ch), int(st), codes))
    return windows


def reading(lang: str, slug: str, folder: str) -> dict[tuple[int, int], str]:
    """(chapter, sentence index) → code of one reading ({} when that reading has not reached the book)."""
    path = HERE / folder / lang / f"{slug}.txt"
    if not path.exists():
        return {}
    return {(ch, st + k): code for ch, st, codes in read_windows(path) for k, code in enumerate(codes)}


def decide(codes: str) -> str:
    """The label of a sentence from its readings' codes, first reading first."""
    if len(codes) < 3:
        return codes[0]
    (top, n), *_ = Counter(codes).most_common(1)
    return top if n >= 2 else codes[2]


def final_codes(lang: str, slug: str) -> dict[tuple[int, int], tuple[str, str]]:
    """(chapter, index) → (label code, readings) for every sentence of the first reading."""
    first, second, third = (reading(lang, slug, folder) for folder in FOLDERS)
    out = {}
    for key, code in first.items():
        read = code + second.get(key, "") + (third.get(key, "") if key in second else "")
        out[key] = (decide(read), read)
    return out


def relabel() -> None:
    """Rewrite the labels (and readings) of the existing jsonl files from the label folders; the texts stay
    (`build` makes the same rows from the pinned sources)."""
    for path in sorted(CORPUS.glob("*/*.jsonl")):
        lang, slug = path.parent.name, path.stem
        final = final_codes(lang, slug)
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for row in rows:
            code, read = final[(row["chapter"], row["index"])]
            row["label"], row["readings"] = CODES[code], read
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def kappa(pairs: list[tuple[str, str]]) -> float:
    """Cohen's kappa of two readings."""
    n = len(pairs)
    if not n:
        return 0.0
    observed = sum(a == b for a, b in pairs) / n
    left, right = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(left[c] * right[c] for c in left) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def agreement(splits: dict) -> list[str]:
    """Markdown rows: first vs second reading per language and split — agreement, kappa (six labels and
    painterly vs none), how often the third reading was needed and how the majority moved labels."""
    lines = [
        "| lang | split | sentences read twice | agree | kappa (6 labels) | kappa (painterly vs none) "
        "| read a third time | painterly first → final |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for lang, parts in splits.items():
        for split, slugs in parts.items():
            pairs, third, before, after = [], 0, 0, 0
            for slug in slugs:
                for code, read in final_codes(lang, slug).values():
                    if len(read) < 2:
                        continue
                    pairs.append((read[0], read[1]))
                    third += len(read) == 3
                    before += read[0] != "n"
                    after += code != "n"
            if not pairs:
                continue
            agree = sum(a == b for a, b in pairs) / len(pairs)
            binary = [(a != "n", b != "n") for a, b in pairs]
            lines.append(
                f"| {lang} | {split} | {len(pairs)} | {agree:.2f} | {kappa(pairs):.2f} | "
                f"{kappa([(str(a), str(b)) for a, b in binary]):.2f} | {third} | {before} → {after} |"
            )
    return lines
