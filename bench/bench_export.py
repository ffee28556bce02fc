"""The illustrated EPUB export's build: a 200-chapter book with 100 pictures (goal: ≤ 5 s).

    python bench/bench_export.py            # or: just bench-export
    python bench/bench_export.py --chapters 200 --pictures 100 --runs 3

What is timed is the export job's CPU part exactly as the worker runs it: `exports.cpu.build_file` in a
process-pool child (the same forkserver pool, core/procpool.py), reading the pictures and the book's files
from disk, placing each picture after its passage, writing XHTML, nav, NCX and OPF, zipping and writing the
file atomically. The inputs cross the process boundary as the job sends them (chapter HTML + paths).
Beside it, the bare baseline: zipping the same pictures and the chapters' raw HTML with no parsing at all —
the floor any EPUB writer has to pay for I/O and deflate. The ratio says what our XHTML work costs on top.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.books

from PIL import Image  # noqa: E402
from tests.books import novel_epub  # noqa: E402

from bookreader.core.procpool import create_process_pool  # noqa: E402
from bookreader.domain.exports.cpu import ExportSource, PictureFile, build_file  # noqa: E402
from bookreader.epubwriter import ExportChapter, ExportMetadata  # noqa: E402
from bookreader.imaging.providers.placeholder import render_card  # noqa: E402
from bookreader.ingest import parse_book  # noqa: E402

GOAL_SECONDS = 5.0
PREFIX = "/api/v1/books/bench/assets/"


def picture_png(number: int) -> bytes:
    """A 768x512 picture as heavy as a generated one: a card over noise, so it does not compress away."""
    card = Image.open(io.BytesIO(render_card("location", f"benchmark picture {number}", 768, 512))).convert(
        "RGB"
    )
    noise = Image.frombytes("RGB", card.size, random.Random(number).randbytes(768 * 512 * 3))
    out = io.BytesIO()
    Image.blend(card, noise, 0.25).save(out, "PNG", compress_level=1)
    return out.getvalue()


def make_source(folder: Path, chapters: int, pictures: int) -> ExportSource:
    parsed = parse_book(
        novel_epub(chapters=chapters, paragraphs=24, title="Benchmark"), asset_base_url=PREFIX
    )
    story = [c for c in parsed.chapters if not c.is_front_matter]
    files = []
    for number in range(pictures):
        chapter = story[(number * len(story)) // pictures]
        start, end = chapter.paragraphs[(number * 7) % len(chapter.paragraphs)]
        path = folder / f"picture-{number:03d}.png"
        path.write_bytes(picture_png(number))
        files.append(PictureFile(chapter=chapter.number, start=start, end=end, passage=chapter.text[start:end],
                                 path=str(path), media_type="image/png", name=f"pictures/{number:03d}.png"))  # fmt: skip
    cover = folder / "cover"
    cover.write_bytes(render_card("character", "cover", 600, 900))
    return ExportSource(
        metadata=ExportMetadata(identifier="urn:uuid:00000000-0000-4000-8000-000000000200", title=parsed.title,
                                modified="2026-12-01T00:00:00Z", authors=parsed.authors, language="en"),
        chapters=[ExportChapter(c.number, c.title, c.level, c.html, c.paragraphs, c.is_front_matter)
                  for c in parsed.chapters],
        asset_url_prefix=PREFIX, assets_dir=str(folder / "assets"), cover_path=str(cover), pictures=files,
        start_chapter=story[0].number,
    )  # fmt: skip


def bare_zip(source: ExportSource, out: Path) -> None:
    """The baseline: the same bytes zipped as they are (no parsing, no XHTML, no package documents)."""
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for chapter in source.chapters:
            archive.writestr(f"{chapter.number}.html", chapter.html, compress_type=zipfile.ZIP_DEFLATED)
        for picture in source.pictures:
            archive.write(picture.path, picture.name, compress_type=zipfile.ZIP_STORED)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chapters", type=int, default=200)
    parser.add_argument("--pictures", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        folder = Path(tmp)
        source = make_source(folder, args.chapters, args.pictures)
        words = sum(len(c.html.split()) for c in source.chapters)
        picture_mb = sum(Path(p.path).stat().st_size for p in source.pictures) / 1e6
        pool = create_process_pool(1)
        try:
            pool.submit(sum, [0]).result()  # the child is up (its start is not the export's cost)
            ours, bare = [], []
            for run in range(args.runs):
                started = time.perf_counter()
                built = pool.submit(build_file, source, str(folder / f"export-{run}.epub")).result()
                ours.append(time.perf_counter() - started)
                started = time.perf_counter()
                bare_zip(source, folder / f"bare-{run}.zip")
                bare.append(time.perf_counter() - started)
        finally:
            pool.shutdown()
    median, baseline = statistics.median(ours), statistics.median(bare)
    print(f"book: {len(source.chapters)} chapters (~{words:,} words of HTML), {len(source.pictures)} pictures "
          f"768x512 PNG ({picture_mb:.0f} MB), export {built.size / 1e6:.1f} MB")  # fmt: skip
    print(
        f"export build (process pool, median of {args.runs}): {median:.2f} s  (runs: "
        + ", ".join(f"{s:.2f}" for s in ours)
        + ")"
    )
    print(f"bare zip of the same bytes (baseline):      {baseline:.2f} s  → ratio {median / baseline:.1f}×")
    verdict = "OK" if median <= GOAL_SECONDS else "OVER"
    print(f"goal ≤ {GOAL_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
