"""Rebuild the labelled NLP corpus (nlp-corpus/{en,ru}/<slug>.jsonl) from public-domain sources.

The sources are public GitHub repositories at pinned commits (GITenberg for Project Gutenberg
books, KellerJordan/modded-nanogpt:data/RusLit for Russian classics). Point BOOKREADER_CORPUS_MIRROR
at a directory holding their git mirrors as ``<owner>+<name>/repo`` (default /work/.mirror).

Labels live in ``tools/labels/<lang>/<slug>.txt``: one window per line, ``chapter:start:codes``,
where every character of ``codes`` labels one consecutive sentence of that chapter, starting at
sentence index ``start`` (0-based). Codes: l=location c=character a=atmosphere o=object
x=action n=none.

Usage:
    python build.py show <slug> <chapter> <start> <count>   # numbered sentences, for labelling
    python build.py chapters <slug>                          # sentence count per chapter
    python build.py add <lang> <slug> <chapter> <start> <count> <codes...>  # append a window
    python build.py build                                    # write the jsonl files + splits stats
    python build.py relabel                                  # labels only, into the existing jsonl files

Each sentence can have up to three independent readings (see readings.py): ``labels/`` (the first),
``labels-second/`` (a blind second reading of every window) and ``labels-third/`` (a blind third reading
of the sentences where the first two differ); its label is the majority.
"""

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import readings

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent
MIRROR = Path(os.environ.get("BOOKREADER_CORPUS_MIRROR", "/work/.mirror"))
RUSLIT = ("KellerJordan/modded-nanogpt", "448bd136a978581b0f8cde7e1dcc4e68b9617385")
CODES = readings.CODES  # code letter → label

ROMAN = r"[IVXL]+"
# slug -> (lang, repo, commit, path, chapter-heading regex, layout)
# layout "gutenberg": paragraphs separated by blank lines, header/footer stripped;
# "lines": one paragraph per line; "wrapped": paragraphs start with an indented line or a dash.
BOOKS = {
    "dracula": (
        "en",
        "GITenberg/Dracula_345",
        "5216d6ea255fbf8966426a160b68251b18f16907",
        "345.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    "frankenstein": (
        "en",
        "GITenberg/Frankenstein_84",
        "c98a483bd1f34e7366126b81bcedd1a6faee636e",
        "84-0.txt",
        r"^(Chapter \d+|Letter \d+)$",
        "gutenberg",
    ),
    "jane-eyre": (
        "en",
        "GITenberg/Jane-Eyre_1260",
        "d8976a3c05269fb2ecb83d4575d82c6c2abe0012",
        "1260.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    "tom-sawyer": (
        "en",
        "GITenberg/The-Adventures-of-Tom-Sawyer_74",
        "9b4174649064f197ca27895d98806b4a8659722b",
        "74-0.txt",
        rf"^CHAPTER {ROMAN}\b",
        "gutenberg",
    ),
    "hound-of-the-baskervilles": (
        "en",
        "GITenberg/The-Hound-of-the-Baskervilles_2852",
        "bb11a2bd7e3cda991b7f83936e811a0f472c089c",
        "2852-0.txt",
        r"^Chapter \d+\.",
        "gutenberg",
    ),
    "war-of-the-worlds": (
        "en",
        "GITenberg/The-War-of-the-Worlds_36",
        "8b08fa3a7cbef117c80b2b437adc46e75c37dbf0",
        "36-0.txt",
        rf"^{ROMAN}\.$",
        "gutenberg",
    ),
    "treasure-island": (
        "en",
        "GITenberg/Treasure-Island_120",
        "46f38f7b63dbda34415ce29ef5548023a8ba8dda",
        "120-0.txt",
        r"^\d+$",
        "gutenberg",
    ),
    "wuthering-heights": (
        "en",
        "GITenberg/Wuthering-Heights_768",
        "7f246b8eba2cf744e757f7425c90ad362ecb8a99",
        "768.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    "king-solomons-mines": (
        "en",
        "GITenberg/King-Solomon-s-Mines_2166",
        "8232708d69e4bcab1a8c871b4c8df6128a4ce0c1",
        "2166.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    "the-lost-world": (
        "en",
        "GITenberg/The-Lost-World_139",
        "358626523d86f073e29deccb063418920ea11aeb",
        "139.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    "the-time-machine": (
        "en",
        "GITenberg/The-Time-Machine_35",
        "154a5c628743bd7d35d1af0fc4bcc017f0e111e1",
        "35-0.txt",
        rf"^{ROMAN}$",
        "gutenberg",
    ),
    "dorian-gray": (
        "en",
        "GITenberg/The-Picture-of-Dorian-Gray_174",
        "2e7a9776d3179fac76db4370fd66231ac0f4c184",
        "174.txt",
        r"^CHAPTER \d+$",
        "gutenberg",
    ),
    "great-expectations": (
        "en",
        "GITenberg/Great-Expectations_1400",
        "889db0e100928a957f469bf834c564d04065c8e6",
        "1400-0.txt",
        rf"^Chapter {ROMAN}$",
        "gutenberg",
    ),
    "far-from-the-madding-crowd": (
        "en",
        "GITenberg/Far-from-the-Madding-Crowd_107",
        "dcf02b899d96ef97f066e6eb4797b8d78446852f",
        "107.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    "heart-of-darkness": (
        "en",
        "GITenberg/Heart-of-Darkness_219",
        "b266e23e2e8ba2d82121f18e2f6434f3775ce260",
        "219-0.txt",
        rf"^{ROMAN}$",
        "gutenberg",
    ),
    # the volume headings come between chapters; their blocks are too short and are dropped
    "udolpho": (
        "en",
        "GITenberg/The-Mysteries-of-Udolpho_3268",
        "8afbb46a659c5424dbf60d940076abc0117657f6",
        "3268.txt",
        rf"^(CHAPTER {ROMAN}|VOLUME \d)$",
        "gutenberg",
    ),
    # one chapter each: the tale's title line is its only heading
    "fall-of-the-house-of-usher": (
        "en",
        "GITenberg/The-Fall-of-the-House-of-Usher_932",
        "e101427276f4375c1eb14330dc9f063d71c05e0e",
        "932.txt",
        r"^The Fall of the House of Usher$",
        "gutenberg",
    ),
    "masque-of-the-red-death": (
        "en",
        "GITenberg/The-Masque-of-the-Red-Death_1064",
        "7697230b29ea11be6bbdf34b6ef8cff81dc5ccc2",
        "1064.txt",
        r"^The Masque of the Red Death$",
        "gutenberg",
    ),
    "the-secret-garden": (
        "en",
        "GITenberg/The-Secret-Garden_113",
        "0031c0badd0d3fc83860c941d2f39d4aa345c51b",
        "113-0.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    # "THE CUSTOM-HOUSE" introduction comes before chapter I and is not a chapter here
    "the-scarlet-letter": (
        "en",
        "GITenberg/The-Scarlet-Letter_33",
        "ab23ba5a4570fd0337e63f6b226be3cfa652ff34",
        "33.txt",
        rf"^{ROMAN}\.\s+[A-Z]",
        "gutenberg",
    ),
    "kidnapped": (
        "en",
        "GITenberg/Kidnapped_421",
        "9c8d81a8c5a780094821215c578e9ec0f33461fa",
        "421-0.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    "the-sign-of-the-four": (
        "en",
        "GITenberg/The-Sign-of-the-Four_2097",
        "c36c6c7a4e7e5f7b8d17c9b19299e8ff996b414c",
        "2097.txt",
        rf"^Chapter {ROMAN}$",
        "gutenberg",
    ),
    # sixth-round train books; Notre-Dame's table of contents between books six and seven falls
    # inside a chapter that is not labelled
    "notre-dame-de-paris": (
        "en",
        "GITenberg/Notre-Dame-De-Paris_2610",
        "dc5d8905ebf707c7115a0841563527b2e95fe41e",
        "2610-0.txt",
        rf"^CHAPTER {ROMAN}\.",
        "gutenberg",
    ),
    "twenty-thousand-leagues": (
        "en",
        "GITenberg/Twenty-Thousand-Leagues-under-the-Sea_164",
        "835d12c2b90c35cf64428378c63521580c7943d9",
        "164.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    # the chapter titles are the only headings; the title line above the first is not text
    "jekyll-and-hyde": (
        "en",
        "GITenberg/The-Strange-Case-of-Dr.-Jekyll-and-Mr.-Hyde_43",
        "534f1e1d3193ffaf351570cf808e0ee6db70efe9",
        "43-0.txt",
        r"^(STORY OF THE DOOR|SEARCH FOR MR\. HYDE|DR\. JEKYLL WAS QUITE AT EASE|THE CAREW MURDER CASE|"
        r"INCIDENT OF THE LETTER|INCIDENT OF DR\. LANYON|INCIDENT AT THE WINDOW|THE LAST NIGHT|"
        r"DR\. LANYON’S NARRATIVE|HENRY JEKYLL’S FULL STATEMENT OF THE CASE)$",
        "gutenberg",
    ),
    "oliver-twist": (
        "en",
        "GITenberg/Oliver-Twist_730",
        "1cec930d0fc567cb650136b3d20406b4ac97a6e5",
        "730.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    # one chapter: the tale's title line is its only heading (the postscript stays in it)
    "sleepy-hollow": (
        "en",
        "GITenberg/The-Legend-of-Sleepy-Hollow_41",
        "5f864ee8e6fabb0167d60cc625e55da67830854a",
        "41-0.txt",
        r"^THE LEGEND OF SLEEPY HOLLOW$",
        "gutenberg",
    ),
    # chapter numbering restarts in each period and narrative; our chapters run on through the book.
    # Our chapter 1 is the contents' tail with the Prologue, so chapter n (2-24) is First Period n-1
    "the-moonstone": (
        "en",
        "GITenberg/The-Moonstone_155",
        "261e2a94a580a65e78fc3dac5349a54fdcf04b5f",
        "155-0.txt",
        rf"^CHAPTER {ROMAN}$",
        "gutenberg",
    ),
    # seventh-round train books. Hardy's chapters are numbered afresh in each of the six books ("1--A Face
    # on Which ..."); the BOOK lines fall inside the chapter before them, and our chapters run on through
    # the novel (Book Second's 1 is our 12)
    "return-of-the-native": (
        "en",
        "GITenberg/The-Return-of-the-Native_122",
        "c82d2fb7fcf591f85c1d07b1739b632e4cf6b248",
        "122-0.txt",
        r"^\d+--[A-Z“]",
        "gutenberg",
    ),
    # the PART lines are headings too, so their short blocks are dropped and chapters run 1-14
    "a-study-in-scarlet": (
        "en",
        "GITenberg/A-Study-in-Scarlet_244",
        "28ff9b2f49dad721efd60c4d5ba9645fad84f936",
        "244-0.txt",
        rf"^(CHAPTER {ROMAN}\.|PART {ROMAN}\.)",
        "gutenberg",
    ),
    # the table of contents has one space after the numeral, the chapter headings two; the editor's
    # introduction comes before chapter I and is not a chapter here
    "island-of-doctor-moreau": (
        "en",
        "GITenberg/The-Island-of-Doctor-Moreau_159",
        "74da26981fcb6ef2813d818f7cba6366ded74061",
        "159.txt",
        rf"^{ROMAN}\.\s\s",
        "gutenberg",
    ),
    "geroy-nashego-vremeni": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Lermontov/Герой нашего времени.txt",
        r"^(ПРЕДИСЛОВИЕ|[А-ЯЁ][А-ЯЁ ]{2,})$",
        "wrapped",
    ),
    "kapitanskaya-dochka": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Pushkin/Капитанская дочка.txt",
        rf"^ГЛАВА {ROMAN}$",
        "lines",
    ),
    "mertvye-dushi": ("ru", *RUSLIT, "data/RusLit/prose/Gogol/Мёртвые души.txt", r"^Глава [а-я]+$", "lines"),
    "ionych": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Ионыч.txt", rf"^{ROMAN}$", "lines"),
    "dama-s-sobachkoy": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Дама с собачкой.txt", rf"^{ROMAN}$", "lines"),
    "kazaki": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Казаки.txt", rf"^{ROMAN}$", "lines"),
    "hadzhi-murat": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Хаджи-Мурат.txt", rf"^{ROMAN}$", "lines"),
    "ottsy-i-deti": ("ru", *RUSLIT, "data/RusLit/prose/Turgenev/Отцы и дети.txt", rf"^{ROMAN}$", "lines"),
    "dom-s-mezoninom": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Дом с мезонином.txt", rf"^{ROMAN}$", "lines"),
    "v-ovrage": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/В овраге.txt", rf"^{ROMAN}$", "lines"),
    "asya": ("ru", *RUSLIT, "data/RusLit/prose/Turgenev/Ася.txt", rf"^{ROMAN}$", "lines"),
    # one chapter per story; "Примечания" (the editor's notes) closes the last story and is not labelled
    "zapiski-okhotnika": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Turgenev/Записки охотника.txt",
        r"^("
        r"Хорь и Калиныч|Ермолай и мельничиха|Малиновая вода|Уездный лекарь|Мой сосед Радилов|"
        r"Однодворец Овсянников|Льгов|Бежин луг|Касьян с Красивой мечи|Бурмистр|Контора|Бирюк|"
        r"Два помещика|Лебедянь|Татьяна Борисовна и ее племянник|Смерть|Певцы|"
        r"Петр Петрович Каратаев|Свидание|Гамлет Щигровского уезда|Чертопханов и Недопюскин|"
        r"Конец Чертопханова|Живые мощи|Стучит!|Лес и степь|Примечания)$",
        "lines",
    ),
    "detstvo": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Детство.txt", rf"^Глава {ROMAN}$", "lines"),
    "taras-bulba": ("ru", *RUSLIT, "data/RusLit/prose/Gogol/Тарас Бульба.txt", rf"^{ROMAN}$", "lines"),
    # one chapter each: the story's title line is its only heading ("1" in Вий's title is a footnote mark)
    "starosvetskie-pomeshchiki": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Gogol/Старосветские помещики.txt",
        r"^СТАРОСВЕТСКИЕ ПОМЕЩИКИ$",
        "lines",
    ),
    "viy": ("ru", *RUSLIT, "data/RusLit/prose/Gogol/Вий.txt", r"^ВИЙ 1$", "lines"),
    # the author and title lines come twice at the top; the short first block is dropped like a title page
    "nevskiy-prospekt": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Gogol/Невский проспект.txt",
        r"^Невский проспект$",
        "lines",
    ),
    "dvoryanskoe-gnezdo": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Turgenev/Дворянское гнездо.txt",
        rf"^{ROMAN}$",
        "lines",
    ),
    # the lone "1" after chapter 1 is a footnote mark; its one-line note is a short block and dropped
    "kavkazskiy-plennik": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Tolstoy/Кавказский пленник.txt",
        r"^\d+$",
        "lines",
    ),
    "metel": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Метель.txt", rf"^{ROMAN}\.$", "lines"),
    # one chapter per story (Выстрел's I / II are inside it); "Примечания" closes the last story
    "povesti-belkina": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Pushkin/Повести Белкина.txt",
        r"^(От издателя|Выстрел|Метель|Гробовщик|Станционный смотритель|Барышня-крестьянка|Примечания)$",
        "lines",
    ),
    "arkhierey": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Архиерей.txt", rf"^{ROMAN}$", "lines"),
    "gusev": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Гусев.txt", rf"^{ROMAN}$", "lines"),
    # the notes after the closing date line "1892" are not labelled
    "palata-6": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Палата №6.txt", rf"^{ROMAN}$", "lines"),
    # one chapter each, the title line being the only heading
    "vedma": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Ведьма.txt", r"^ВЕДЬМА$", "lines"),
    "kryzhovnik": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Крыжовник.txt", r"^КРЫЖОВНИК$", "lines"),
    # the editor's notes after «Утро» are not labelled
    "belye-nochi": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Dostoevsky/Белые ночи.txt",
        r"^(Ночь (первая|вторая|третья|четвертая)|Утро)$",
        "lines",
    ),
    "malchik-u-khrista": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Dostoevsky/Мальчик у Христа на ёлке.txt",
        rf"^{ROMAN}$",
        "lines",
    ),
    # one chapter, the title line being the only heading (the author line above it is not text)
    "shinel": ("ru", *RUSLIT, "data/RusLit/prose/Gogol/Шинель.txt", r"^Шинель$", "lines"),
    # the title line opens the frame prologue (the dedication and the guests' talk) as chapter 1
    "pervaya-lyubov": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Turgenev/Первая любовь.txt",
        rf"^(Первая любовь|{ROMAN})$",
        "lines",
    ),
    "chelovek-v-futlyare": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Chekhov/Человек в футляре.txt",
        r"^Человек в футляре$",
        "lines",
    ),
    # dev books of the fifth round: «Портрет» has one chapter per part; «Ночь перед Рождеством» has
    # no inner headings, so its title line is the one heading and the author's footnotes close the chapter
    "portret": ("ru", *RUSLIT, "data/RusLit/prose/Gogol/Портрет.txt", rf"^Часть {ROMAN}$", "lines"),
    "noch-pered-rozhdestvom": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Gogol/Ночь перед Рождеством.txt",
        r"^НОЧЬ ПЕРЕД РОЖДЕСТВОМ$",
        "lines",
    ),
    # sixth-round train books: a one-chapter story's title line is its only heading
    "sevastopol-v-dekabre": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Tolstoy/Севастополь в декабре месяце.txt",
        r"^Севастополь в декабре месяце$",
        "lines",
    ),
    "nabeg": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Набег.txt", rf"^{ROMAN}\.$", "lines"),
    "tri-smerti": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Три смерти.txt", rf"^{ROMAN}$", "lines"),
    "rubka-lesa": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Рубка леса.txt", rf"^{ROMAN}\.$", "lines"),
    # the source file's name misspells «помещика»
    "utro-pomeshchika": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Утро пемещика.txt", rf"^{ROMAN}$", "lines"),
    "agafya": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Агафья.txt", r"^АГАФЬЯ$", "lines"),
    "verochka": ("ru", *RUSLIT, "data/RusLit/prose/Chekhov/Верочка.txt", r"^ВЕРОЧКА$", "lines"),
    # train books of the sixth round. «Вечера» has one chapter per story (the inner numbered parts stay
    # inside it); «Ночь перед Рождеством» (chapter 7) is a dev book in its own file and is not labelled
    # here; the author's notes at the end repeat some titles, so they fall into short blocks (dropped) and
    # one last block of notes (chapter 11), which is not labelled; `\s` because some titles hold no-break spaces
    "vechera-na-khutore": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Gogol/Вечера на хуторе близ Диканьки.txt",
        r"^(Предисловие|Сорочинская ярмарка|Вечер накануне Ивана Купала|Майская\sночь,\sили Утопленница|"
        r"Пропавшая грамота|Ночь\sперед\sРождеством|Страшная месть|Иван Федорович Шпонька\sи\sего тетушка|"
        r"Заколдованное место)$",
        "lines",
    ),
    "kolyaska": ("ru", *RUSLIT, "data/RusLit/prose/Gogol/Коляска.txt", r"^Коляска$", "lines"),
    # seventh-round train books: «Штосс» has the headings I, 2, 3 (sic) for its three parts
    "otrochestvo": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Отрочество.txt", rf"^Глава {ROMAN}$", "lines"),
    "yunost": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Юность.txt", rf"^Глава {ROMAN}$", "lines"),
    "dva-gusara": ("ru", *RUSLIT, "data/RusLit/prose/Tolstoy/Два гусара.txt", rf"^{ROMAN}\.$", "lines"),
    # «Ночь 1-я» and «Ночь 5-я» stand alone as headings, «Глава VI. Ночь 2-я» and on carry the night in the
    # line, and chapter X is spelt with a Cyrillic «Х»
    "kholstomer": (
        "ru",
        *RUSLIT,
        "data/RusLit/prose/Tolstoy/Холстомер.txt",
        r"^(Глава [IVXLХ]+\b.*|Ночь [15]-я)$",
        "lines",
    ),
    "shtoss": ("ru", *RUSLIT, "data/RusLit/prose/Lermontov/Штосс.txt", r"^(I|2|3)$", "lines"),
}

EN_ABBR = {
    "mr",
    "mrs",
    "dr",
    "st",
    "mt",
    "messrs",
    "jr",
    "sr",
    "capt",
    "col",
    "gen",
    "prof",
    "rev",
    "lt",
    "sgt",
    "no",
    "vs",
    "etc",
    "ft",
    "esq",
    "hon",
}
RU_ABBR = {
    "г",
    "гг",
    "т",
    "е",
    "д",
    "п",
    "др",
    "пр",
    "ст",
    "им",
    "см",
    "тов",
    "ул",
    "стр",
    "руб",
    "коп",
    "тыс",
    "св",
    "кн",
    "гр",
}
BOUNDARY = re.compile(r"([.!?…]+[\"'»”’)\]]*)(\s+)(?=[\"'«“„(\[—–-]*\s?[A-ZА-ЯЁ0-9])")


def source_of(slug: str) -> str:
    _lang, repo, commit, path, _rx, _layout = BOOKS[slug]
    return f"{repo}@{commit}:{path}"


def read_source(slug: str) -> str:
    _lang, repo, commit, path, _rx, _layout = BOOKS[slug]
    base = MIRROR / repo.replace("/", "+") / "repo"
    git_dir = base / ".git" if (base / ".git").is_dir() else base
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], capture_output=True, check=True
    ).stdout
    return out.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def paragraphs(lines: list[str], layout: str) -> list[str]:
    paras: list[list[str]] = []
    cur: list[str] = []
    for line in lines:
        if not line.strip():
            if cur:
                paras.append(cur)
            cur = []
            continue
        starts = layout == "lines" or (
            layout == "wrapped" and (line[:1].isspace() or line.lstrip()[:1] in "-—–")
        )
        if starts and cur:
            paras.append(cur)
            cur = []
        cur.append(line.strip())
    if cur:
        paras.append(cur)
    return [normalise(" ".join(p)) for p in paras]


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(para: str, lang: str) -> list[str]:
    abbr = EN_ABBR if lang == "en" else RU_ABBR
    out: list[str] = []
    start = 0
    for m in BOUNDARY.finditer(para):
        head = para[start : m.start(2)]
        word = re.search(r"(\w+)\.$", head)
        if (
            m.group(1) == "."
            and word
            and (word.group(1).lower() in abbr or (len(word.group(1)) == 1 and word.group(1).isupper()))
        ):
            continue
        out.append(head.strip())
        start = m.end(2)
    tail = para[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def chapters(slug: str) -> list[list[str]]:
    """Sentences of each chapter (1-based chapter n is index n-1); too-short blocks (tables of
    contents, part titles) are dropped before numbering."""
    lang, _repo, _commit, _path, rx, layout = BOOKS[slug]
    text = read_source(slug)
    lines = text.split("\n")
    if layout == "gutenberg":
        beg = next(i for i, ln in enumerate(lines) if re.match(r"\*\*\* ?START OF", ln))
        end = next((i for i, ln in enumerate(lines) if re.match(r"\*\*\* ?END OF", ln)), len(lines))
        lines = lines[beg + 1 : end]
    heading = re.compile(rx)
    blocks: list[list[str]] = []
    cur: list[str] | None = None
    for line in lines:
        if heading.match(line.strip()):
            if cur is not None:
                blocks.append(cur)
            cur = []
        elif cur is not None:
            cur.append(line)
    if cur is not None:
        blocks.append(cur)
    result = []
    for block in blocks:
        sents = [s for p in paragraphs(block, layout) for s in split_sentences(p, lang)]
        if len(sents) >= 15:
            result.append(sents)
    return result


def read_labels(lang: str, slug: str) -> list[tuple[int, int, str]]:
    """The first reading's windows (chapter, start, codes) of a book."""
    return readings.read_windows(HERE / "labels" / lang / f"{slug}.txt")


SPLITS = {
    "en": {
        "train": [
            "dracula",
            "jane-eyre",
            "wuthering-heights",
            "treasure-island",
            "king-solomons-mines",
            "the-lost-world",
            "the-time-machine",
            "dorian-gray",
            "great-expectations",
            "far-from-the-madding-crowd",
            "heart-of-darkness",
            "udolpho",
            "fall-of-the-house-of-usher",
            "masque-of-the-red-death",
            "notre-dame-de-paris",
            "twenty-thousand-leagues",
            "jekyll-and-hyde",
            "oliver-twist",
            "sleepy-hollow",
            "the-moonstone",
            "return-of-the-native",
            "a-study-in-scarlet",
            "island-of-doctor-moreau",
        ],
        "dev": ["frankenstein", "tom-sawyer", "the-secret-garden", "the-scarlet-letter"],
        "test": ["hound-of-the-baskervilles", "war-of-the-worlds", "kidnapped", "the-sign-of-the-four"],
    },
    "ru": {
        "train": [
            "mertvye-dushi",
            "kazaki",
            "ottsy-i-deti",
            "hadzhi-murat",
            "zapiski-okhotnika",
            "detstvo",
            "taras-bulba",
            "starosvetskie-pomeshchiki",
            "viy",
            "dvoryanskoe-gnezdo",
            "nevskiy-prospekt",
            "kavkazskiy-plennik",
            "metel",
            "povesti-belkina",
            "arkhierey",
            "gusev",
            "palata-6",
            "vedma",
            "kryzhovnik",
            "belye-nochi",
            "malchik-u-khrista",
            "sevastopol-v-dekabre",
            "nabeg",
            "rubka-lesa",
            "tri-smerti",
            "utro-pomeshchika",
            "agafya",
            "verochka",
            "vechera-na-khutore",
            "kolyaska",
            "otrochestvo",
            "yunost",
            "dva-gusara",
            "shtoss",
            "kholstomer",
        ],
        "dev": [
            "ionych",
            "dama-s-sobachkoy",
            "dom-s-mezoninom",
            "v-ovrage",
            "portret",
            "noch-pered-rozhdestvom",
        ],
        "test": [
            "geroy-nashego-vremeni",
            "kapitanskaya-dochka",
            "asya",
            "shinel",
            "pervaya-lyubov",
            "chelovek-v-futlyare",
        ],
    },
}


def stats() -> dict:
    """Sentence counts per language / split / label from the written jsonl files."""
    out: dict = {}
    for lang, splits in SPLITS.items():
        for split, slugs in splits.items():
            counts = {label: 0 for label in CODES.values()}
            for slug in slugs:
                path = CORPUS / lang / f"{slug}.jsonl"
                if path.exists():
                    for line in path.read_text(encoding="utf-8").splitlines():
                        counts[json.loads(line)["label"]] += 1
            out.setdefault(lang, {})[split] = counts
    return out


def build() -> None:
    for slug, (lang, *_rest) in BOOKS.items():
        path = HERE / "labels" / lang / f"{slug}.txt"
        if not path.exists():
            continue
        chs = chapters(slug)
        rows = []
        final = readings.final_codes(lang, slug)
        for ch, st, codes in read_labels(lang, slug):
            sents = chs[ch - 1]
            if st + len(codes) > len(sents):
                raise ValueError(f"{slug} {ch}:{st}: window runs past the chapter ({len(sents)})")
            for k in range(len(codes)):
                code, read = final[(ch, st + k)]
                rows.append(
                    {
                        "book": slug,
                        "source": source_of(slug),
                        "chapter": ch,
                        "index": st + k,
                        "text": sents[st + k],
                        "label": CODES[code],
                        "readings": read,
                    }
                )
        out = CORPUS / lang / f"{slug}.jsonl"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{lang} {slug}: {len(rows)}")
    present = {
        lang: {
            split: [s for s in slugs if (CORPUS / lang / f"{s}.jsonl").exists()]
            for split, slugs in splits.items()
        }
        for lang, splits in SPLITS.items()
    }
    (CORPUS / "splits.json").write_text(json.dumps(present, indent=2) + "\n", encoding="utf-8")
    write_stats()


def write_stats() -> None:
    table = [
        "| lang | split | books | sentences | " + " | ".join(CODES.values()) + " |",
        "|---|---|---|---|" + "---|" * len(CODES),
    ]
    for lang, splits in stats().items():
        for split, counts in splits.items():
            books = sum((CORPUS / lang / f"{s}.jsonl").exists() for s in SPLITS[lang][split])
            cells = " | ".join(str(counts[label]) for label in CODES.values())
            table.append(f"| {lang} | {split} | {books} | {sum(counts.values())} | {cells} |")
    print("\n".join(table))
    readme = CORPUS / "README.md"
    text = _block(readme.read_text(encoding="utf-8"), "stats", "\n".join(table))
    if "<!-- agreement:begin -->" in text:  # how far the readings agree (readings.py)
        text = _block(text, "agreement", "\n".join(readings.agreement(SPLITS)))
    readme.write_text(text, encoding="utf-8")


def _block(text: str, name: str, body: str) -> str:
    """`text` with what stands between its <!-- name:begin --> and <!-- name:end --> markers replaced."""
    head, rest = text.split(f"<!-- {name}:begin -->", 1)
    _old, tail = rest.split(f"<!-- {name}:end -->", 1)
    return f"{head}<!-- {name}:begin -->\n{body}\n<!-- {name}:end -->{tail}"


def main(argv: list[str]) -> None:
    cmd = argv[0]
    if cmd == "show":
        slug, ch, st, n = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
        sents = chapters(slug)[ch - 1]
        for k in range(st, min(st + n, len(sents))):
            print(f"{k - st:3d} {sents[k]}")
    elif cmd == "chapters":
        for i, sents in enumerate(chapters(argv[1]), 1):
            print(i, len(sents), sents[0][:70])
    elif cmd == "add":
        lang, slug, ch, st, n = argv[1:6]
        codes = "".join(argv[6:]).replace(" ", "")
        if len(codes) != int(n) or set(codes) - set(CODES):
            raise SystemExit(f"{slug}: {len(codes)} codes for {n} sentences, or an unknown code")
        with (HERE / "labels" / lang / f"{slug}.txt").open("a", encoding="utf-8") as fh:
            fh.write(f"{ch}:{st}: {codes}\n")
    elif cmd == "build":
        build()
    elif cmd == "relabel":
        readings.relabel()
        write_stats()
    elif cmd == "agreement":
        print("\n".join(readings.agreement(SPLITS)))


if __name__ == "__main__":
    main(sys.argv[1:])
