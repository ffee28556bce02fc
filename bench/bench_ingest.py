"""Ingest speed: every book in ../shared/books through `parse_book`, per book and in total.

    python bench/bench_ingest.py            # or: just bench-ingest

Prints, per book: size, chapters, words, best-of-N parse time, MB/s and words/s; then the totals (sum of
best times). Parsing is single-threaded and pure, so this is also the CPU cost the worker pays per upload.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bookreader.ingest import IngestError, parse_book

ROOT = Path(__file__).resolve().parents[1]
BOOKS = ROOT / ".." / "shared" / "books"


def best_time(data: bytes, repeat: int) -> tuple[float, int, int, str]:
    best = float("inf")
    chapters = words = 0
    outcome = "ok"
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            book = parse_book(data, asset_base_url="/api/v1/books/bench/assets/")
            chapters, words = len(book.chapters), book.word_count
        except IngestError as error:
            outcome = error.code
        best = min(best, time.perf_counter() - start)
    return best, chapters, words, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per book; the best is reported")
    args = parser.parse_args()
    files = sorted(path for path in BOOKS.glob("*/*") if path.is_file() and path.name != "MANIFEST.tsv")
    total_bytes = total_words = 0
    total_time = 0.0
    print(f"{'book':62} {'KB':>7} {'ch':>4} {'words':>8} {'ms':>8} {'MB/s':>7} {'kwords/s':>9}  result")
    for path in files:
        data = path.read_bytes()
        seconds, chapters, words, outcome = best_time(data, args.repeat)
        total_bytes += len(data)
        total_words += words
        total_time += seconds
        print(
            f"{path.relative_to(BOOKS)!s:62} {len(data) / 1024:7.0f} {chapters:4} {words:8} "
            f"{seconds * 1000:8.1f} {len(data) / 1e6 / seconds:7.2f} {words / 1000 / seconds:9.0f}  {outcome}"
        )
    print(
        f"{'TOTAL (' + str(len(files)) + ' files)':62} {total_bytes / 1024:7.0f} {'':4} {total_words:8} "
        f"{total_time * 1000:8.1f} {total_bytes / 1e6 / total_time:7.2f} {total_words / 1000 / total_time:9.0f}"
    )


if __name__ == "__main__":
    main()
