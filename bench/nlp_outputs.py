"""Did a change alter what the analysis finds? Dumps the full analysis of a few shared books (and the
per-sentence results of the labelled corpus) and compares it with an earlier dump.

    python bench/nlp_outputs.py --save /tmp/before.json      # before the change
    python bench/nlp_outputs.py --compare /tmp/before.json   # after: exit 1 and the first differences

Books: Moby-Dick, Alice, Metamorphosis (en), the War and Peace sample and the bench's generated ~1 MB
Russian text (ru), each through `analyze_book` (one chunk) and through two chapter batches merged as the
worker does; plus `classify_sentence` and `chapter_passages` for all three scorer modes on the corpus
sentences that `just eval-nlp` reads. A speed change must leave every byte of this equal.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_nlp import BOOKS, russian_chapters  # noqa: E402
from training.corpus import chapters as corpus_chapters  # noqa: E402
from training.corpus import load  # noqa: E402

from bookreader.ingest import parse_book  # noqa: E402
from bookreader.nlp import ChapterText, analyze_book, analyze_chunk, get_pipeline, merge_chunks  # noqa: E402

EN_BOOKS = [
    "epub3/idpf-moby-dick.epub",
    "epub3/epubjs-alice.epub",
    "epub2/gutenberg-kafka-metamorphosis.epub",
]
RU_BOOKS = ["fb2/coolreader-grobov-example-war-and-peace.fb2", "fb2/fb2cng-_Test-ru.fb2"]


def book(relative: str) -> list[ChapterText]:
    parsed = parse_book((BOOKS / relative).read_bytes())
    return [ChapterText(c.number, c.text, c.paragraphs, c.is_front_matter) for c in parsed.chapters]


def books() -> dict[str, tuple[str, list[ChapterText]]]:
    found = {name: ("en", book(name)) for name in EN_BOOKS}
    found |= {name: ("ru", book(name)) for name in RU_BOOKS}
    found["bench-ru"] = ("ru", russian_chapters())
    return found


def corpus(language: str) -> dict[str, object]:
    pipeline = get_pipeline(language)
    rows = load(language)
    result: dict[str, object] = {}
    for mode in ("rules", "model", "both"):
        result[f"sentences-{mode}"] = [pipeline.classify_sentence(r["text"], mode) for r in rows]
        windows = []
        for window in corpus_chapters(rows):
            text = " ".join(r["text"] for r in window)
            windows.append(msgspec.to_builtins(pipeline.chapter_passages(text, [(0, len(text))], mode)))
        result[f"passages-{mode}"] = windows
    return result


def dump() -> dict[str, object]:
    out: dict[str, object] = {}
    for name, (language, chapters) in books().items():
        out[name] = msgspec.to_builtins(analyze_book(chapters, language))
        half = len(chapters) // 2
        chunks = [analyze_chunk(chapters[:half], language), analyze_chunk(chapters[half:], language)]
        out[f"{name} (2 batches)"] = msgspec.to_builtins(merge_chunks(chunks, language))
    for language in ("en", "ru"):
        out[f"corpus-{language}"] = corpus(language)
    return json.loads(json.dumps(out))  # tuples → lists, as a saved dump reads back


def first_difference(a: object, b: object, path: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}/{key}: only in {'after' if key in b else 'before'}"
            found = first_difference(a[key], b[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return f"{path}: {len(a)} items before, {len(b)} after" if len(a) != len(b) else None
    return None if a == b else f"{path}: {str(a)[:200]!r} before, {str(b)[:200]!r} after"


def main() -> None:
    current = dump()
    digest = hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest()[:16]
    if "--save" in sys.argv:
        Path(sys.argv[sys.argv.index("--save") + 1]).write_text(json.dumps(current), "utf-8")
        print(f"saved, digest {digest}")
        return
    before = json.loads(Path(sys.argv[sys.argv.index("--compare") + 1]).read_text("utf-8"))
    differences = [
        d
        for key in sorted(set(before) | set(current))
        if (d := first_difference(before.get(key), current.get(key), key))
    ]
    for difference in differences:
        print("DIFFERENT", difference)
    print(f"{len(before)} parts compared, {len(differences)} differ; digest now {digest}")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
