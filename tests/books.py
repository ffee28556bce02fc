"""Books the tests build themselves, so a clone without `../shared/books` still runs the suite.

`novel_epub()` is an EPUB 2 novel with real-looking prose: places, people, weather and objects described in
sentences the description pipeline picks up, dialogue and plain narration it should not. `novel_fb2()` is
its Russian FB2 twin. Both are deterministic (same bytes every run), so uploads dedupe like real files.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.unit.ingest.builders import make_epub, make_fb2, xhtml

EN_SENTENCES = (
    "The old house stood at the end of the lane, its grey stone walls covered in ivy and its tall windows dark.",
    "Gregor was a tall, thin man with pale blue eyes, a long grey coat and a black hat pulled low over his brow.",
    "A cold wind blew from the sea, and the evening fog rolled over the wet cobblestones under the yellow lamps.",
    "On the table lay a heavy silver candlestick, polished until it shone, engraved with twisting leaves.",
    "He sprang at the stranger, and the two men crashed through the door and rolled down the stone steps.",
    '"I shall not go," she said. "You know I cannot."',
    "He thought about the money he owed and wondered whether his father would ever forgive him.",
    "They talked for a while about the business and the prices of cloth in the town.",
    "The narrow street wound between crooked wooden houses with red tiled roofs and small green shutters.",
    "Grete had long golden hair tied with a blue ribbon, rosy cheeks and a plain white apron over her dress.",
    "Rain drummed on the roof all night, and the smell of wet earth and smoke drifted in through the shutters.",
    "The next morning he went to the office as usual.",
    "Beyond the river a dark forest of ancient pines climbed the hills towards the snowy peaks of the mountains.",
    "The room was small and low, with a faded carpet, a narrow iron bed and a single window facing the yard.",
)
RU_SENTENCES = (
    "Старый дом стоял в конце улицы, его серые каменные стены были увиты плющом, а высокие окна темны.",
    "Иван Петрович был высокий худой человек с бледными голубыми глазами, в длинном сером пальто и чёрной шляпе.",
    "С моря дул холодный ветер, и вечерний туман стелился по мокрой мостовой под жёлтыми фонарями.",
    "На столе лежал тяжёлый серебряный подсвечник, начищенный до блеска, с гравировкой из листьев.",
    "— Я не пойду, — сказала она. — Ты знаешь, что я не могу.",
    "Он думал о деньгах, которые задолжал, и о том, простит ли его отец.",
    "Узкая улица вилась между кривыми деревянными домами с красными крышами и маленькими зелёными ставнями.",
    "У Маши были длинные русые волосы, заплетённые в косу с голубой лентой, и румяные щёки.",
    "Всю ночь по крыше стучал дождь, и в комнату через ставни тянуло запахом мокрой земли и дыма.",
    "На следующее утро он, как обычно, пошёл на службу.",
    "За рекой тёмный лес древних сосен поднимался по холмам к снежным вершинам гор.",
    "Комната была маленькая и низкая, с выцветшим ковром, узкой железной кроватью и одним окном во двор.",
)


def _chapter_paragraphs(sentences: tuple[str, ...], chapter: int, paragraphs: int) -> list[str]:
    rng = random.Random(chapter)  # deterministic: the same book bytes every run
    return [" ".join(rng.sample(sentences, 4)) for _ in range(paragraphs)]


def novel_epub(*, chapters: int = 6, paragraphs: int = 12, title: str = "The House by the Sea") -> bytes:
    documents, toc = {}, []
    for number in range(1, chapters + 1):
        name = f"chapter{number}.xhtml"
        heading = f"Chapter {number}"
        body = f"<h1>{heading}</h1>" + "".join(
            f"<p>{text}</p>" for text in _chapter_paragraphs(EN_SENTENCES, number, paragraphs)
        )
        documents[name] = xhtml(body, title=heading)
        toc.append((heading, name))
    metadata = "<dc:creator>Test Author</dc:creator>"
    return make_epub(documents, title=title, toc=toc, metadata=metadata)


def tiny_epub(*, title: str = "A Short Book") -> bytes:
    """Two short chapters: chapters to point into, parsed at once."""
    return novel_epub(chapters=2, paragraphs=3, title=title)


def novel_fb2(*, chapters: int = 4, paragraphs: int = 10, title: str = "Дом у моря") -> bytes:
    sections = "".join(
        f"<section><title><p>Глава {number}</p></title>"
        + "".join(f"<p>{text}</p>" for text in _chapter_paragraphs(RU_SENTENCES, number, paragraphs))
        + "</section>"
        for number in range(1, chapters + 1)
    )
    return make_fb2(sections, title=title).encode("utf-8")


CAST_LATE = (  # chapters 9+: a man nobody has met before, and a town first visited there
    "In the doorway stood Lorrimer, a broad man with a red beard, a scarred cheek and a green velvet coat.",
    "Everyone turned to look at Lorrimer, and nobody spoke.",
    '"We leave at dawn," said Lorrimer, and the candles shivered.',
    "The coach took them to Hollowmere, where the bells were ringing.",
)
CAST_EARLY = (
    "That evening Grete walked in Kestrelby, past the harbour and the fish market.",
    "Then Gregor looked at Grete and smiled.",
)


def cast_epub(*, chapters: int = 12, paragraphs: int = 6, late: int = 9) -> bytes:
    """A novel whose cast grows: Gregor and Grete from chapter 1, the town of Kestrelby from chapter 1,
    Lorrimer (with a red beard) and Hollowmere first named in chapter `late` — for spoiler tests."""
    documents, toc = {}, []
    for number in range(1, chapters + 1):
        name = f"chapter{number}.xhtml"
        heading = f"Chapter {number}"
        paras = _chapter_paragraphs(EN_SENTENCES, number, paragraphs)
        paras.insert(1, " ".join(CAST_EARLY))
        if number >= late:
            paras.insert(len(paras) // 2, " ".join(CAST_LATE))
        documents[name] = xhtml(f"<h1>{heading}</h1>" + "".join(f"<p>{t}</p>" for t in paras), title=heading)
        toc.append((heading, name))
    return make_epub(
        documents, title="The Stranger at Kestrelby", toc=toc, metadata="<dc:creator>Test Author</dc:creator>"
    )


def write_books(folder: Path) -> dict[str, Path]:
    """The generated library on disk: {"novel": .epub, "tiny": .epub, "russian": .fb2, "cast": .epub}."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "novel": ("house-by-the-sea.epub", novel_epub()),
        "tiny": ("a-short-book.epub", tiny_epub()),
        "russian": ("dom-u-morya.fb2", novel_fb2()),
        "cast": ("the-stranger-at-kestrelby.epub", cast_epub()),
    }
    paths = {}
    for key, (name, data) in files.items():
        paths[key] = folder / name
        paths[key].write_bytes(data)
    return paths
