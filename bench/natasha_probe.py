"""Does natasha pay for its memory in the character bible? (issue 11: measured, not adopted)

    pip install natasha==1.6.0 && python bench/natasha_probe.py   # not a dependency of the project

Runs natasha's NER (slovnet NewsNERTagger over navec embeddings, all inside the PyPI packages) and our
rule-based name mentions (nlp/names.py) over every Russian corpus sentence; prints CPU time, throughput and
the RSS natasha adds. Caution: installing natasha pulls pymorphy2, whose removal later deletes the
`dawg_python` module pymorphy3 shares (reinstall dawg2-python then).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.corpus import load

from bookreader.nlp.lexicon import get_lexicon
from bookreader.nlp.names import sentence_names


def main() -> None:
    rows = load("ru")
    chars = sum(len(r["text"]) for r in rows)
    lexicon = get_lexicon("ru")
    started = time.process_time()
    rule = sum(len({k for k, _, _ in sentence_names(r["text"], "ru", lexicon)}) for r in rows)
    rule_cpu = time.process_time() - started
    try:
        from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter
    except ImportError:
        print("natasha is not installed (pip install natasha==1.6.0); rules only:")
        print(f"rules: {chars} chars, {rule} name mentions, {rule_cpu:.2f} s CPU")
        return
    process = psutil.Process(os.getpid())
    before = process.memory_info().rss
    started = time.process_time()
    tagger, segmenter = NewsNERTagger(NewsEmbedding()), Segmenter()
    load_cpu = time.process_time() - started
    started = time.process_time()
    found = 0
    for row in rows:
        doc = Doc(row["text"])
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        found += sum(1 for span in doc.spans if span.type == "PER")
    ner_cpu = time.process_time() - started
    added = (process.memory_info().rss - before) / 2**20
    print(
        f"rules:   {chars} chars, {rule} name mentions, {rule_cpu:.2f} s CPU ({chars / rule_cpu / 1e6:.2f} M chars/s)"
    )
    print(
        f"natasha: {found} PER mentions, load {load_cpu:.2f} s CPU, NER {ner_cpu:.2f} s CPU "
        f"({chars / ner_cpu / 1e3:.0f} k chars/s: {1e6 / (chars / ner_cpu):.0f} s per 1 MB), RSS +{added:.0f} MB"
    )


if __name__ == "__main__":
    main()
