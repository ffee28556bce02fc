"""Colour and light words (en, ru) → a palette, so the placeholder picture matches the text's mood."""

from __future__ import annotations

import colorsys
import re

RGB = tuple[int, int, int]

# Words and Russian stems; matched as prefixes of lower-cased tokens, longest stem wins.
# fmt: off
COLOUR_WORDS: dict[str, RGB] = {
    # en colours
    "crimson": (178, 24, 48), "scarlet": (214, 40, 40), "red": (190, 40, 40), "ruby": (155, 17, 30),
    "blood": (120, 10, 20), "rose": (230, 120, 150), "pink": (240, 150, 180), "orange": (240, 130, 40),
    "amber": (255, 176, 40), "gold": (230, 180, 50), "yellow": (240, 220, 80), "green": (60, 150, 70),
    "emerald": (20, 140, 90), "olive": (110, 120, 50), "blue": (40, 80, 180), "azure": (60, 140, 230),
    "sapphire": (20, 50, 140), "navy": (20, 30, 80), "cyan": (40, 190, 210), "teal": (20, 120, 120),
    "turquoise": (50, 200, 190), "purple": (110, 40, 140), "violet": (130, 60, 200), "lilac": (190, 150, 220),
    "lavender": (180, 160, 230), "brown": (110, 70, 40), "rust": (160, 70, 30), "copper": (184, 115, 51),
    "bronze": (150, 110, 50), "grey": (128, 128, 130), "gray": (128, 128, 130), "silver": (190, 195, 205),
    "ash": (150, 145, 140), "black": (20, 20, 25), "ebony": (30, 25, 25), "white": (240, 240, 235),
    "snow": (235, 240, 250), "ivory": (245, 240, 220), "pale": (215, 215, 205),
    # en light and weather
    "sunset": (240, 110, 60), "sunrise": (250, 170, 90), "dawn": (250, 190, 150), "dusk": (90, 60, 120),
    "twilight": (70, 60, 130), "moonlight": (150, 170, 210), "moon": (170, 180, 210), "night": (15, 20, 50),
    "midnight": (10, 12, 35), "noon": (250, 240, 200), "sun": (250, 210, 90), "fire": (230, 90, 20),
    "flame": (240, 110, 30), "candle": (240, 190, 100), "lamp": (230, 190, 110), "storm": (60, 70, 90),
    "fog": (190, 195, 200), "mist": (200, 205, 215), "shadow": (40, 40, 55), "dark": (25, 25, 35),
    "gloom": (45, 45, 60), "cold": (120, 160, 210), "frost": (200, 225, 245), "ice": (190, 220, 240),
    "winter": (210, 225, 240), "autumn": (190, 110, 40), "forest": (30, 90, 40), "sea": (30, 90, 140),
    "ocean": (20, 70, 130), "sky": (110, 170, 230),
    # ru colours (stems)
    "багров": (150, 20, 30), "алы": (220, 30, 40), "красн": (200, 40, 40), "кровав": (120, 10, 20),
    "розов": (235, 130, 160), "оранж": (240, 130, 40), "янтар": (255, 176, 40), "золот": (230, 180, 50),
    "жёлт": (240, 220, 80), "желт": (240, 220, 80), "зелен": (60, 150, 70), "зелён": (60, 150, 70),
    "изумруд": (20, 140, 90), "синь": (40, 70, 170), "сини": (40, 70, 170), "синий": (40, 70, 170),
    "голуб": (100, 160, 230), "лазур": (60, 140, 230), "бирюз": (50, 200, 190), "фиолет": (130, 60, 200),
    "лилов": (170, 110, 200), "сирен": (190, 150, 220), "пурпур": (140, 30, 100), "коричн": (110, 70, 40),
    "ржав": (160, 70, 30), "медн": (184, 115, 51), "бронз": (150, 110, 50), "серы": (128, 128, 130),
    "серая": (128, 128, 130), "серое": (128, 128, 130), "серебр": (190, 195, 205), "пепел": (150, 145, 140),
    "пепельн": (150, 145, 140), "чёрн": (20, 20, 25), "черн": (20, 20, 25), "бел": (240, 240, 235),
    "снег": (235, 240, 250), "снеж": (235, 240, 250), "бледн": (215, 215, 205),
    # ru light and weather
    "закат": (240, 110, 60), "рассвет": (250, 170, 90), "зар": (250, 150, 110), "сумер": (70, 60, 130),
    "сумрак": (60, 55, 100), "лун": (160, 175, 210), "ноч": (15, 20, 50), "полноч": (10, 12, 35),
    "полдн": (250, 240, 200), "солнц": (250, 210, 90), "солнеч": (250, 210, 90), "огон": (230, 90, 20),
    "огн": (230, 90, 20), "плам": (240, 110, 30), "свеч": (240, 190, 100), "фонар": (230, 190, 110),
    "гроз": (60, 70, 90), "туман": (190, 195, 200), "мгл": (150, 150, 160), "тен": (40, 40, 55),
    "тьм": (20, 20, 30), "мрак": (25, 25, 35), "холод": (120, 160, 210), "мороз": (200, 225, 245),
    "лёд": (190, 220, 240), "льд": (190, 220, 240), "зим": (210, 225, 240), "осен": (190, 110, 40),
    "лес": (30, 90, 40), "мор": (30, 90, 140), "неб": (110, 170, 230),
}
# fmt: on

# When the text names no colour, the description type decides the mood.
TYPE_PALETTES: dict[str, list[RGB]] = {
    "location": [(110, 170, 200), (50, 110, 70), (230, 200, 120)],
    "character": [(200, 150, 110), (90, 60, 70), (240, 210, 170)],
    "atmosphere": [(90, 70, 140), (30, 30, 60), (200, 170, 230)],
    "object": [(200, 150, 60), (70, 50, 30), (250, 220, 140)],
    "action": [(200, 70, 50), (60, 20, 30), (250, 180, 90)],
}
DEFAULT_PALETTE: list[RGB] = [(120, 130, 150), (40, 45, 60), (220, 210, 180)]

_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
_STEMS = sorted(COLOUR_WORDS, key=len, reverse=True)


# English words take only these endings ("golden", "moonlit", "reddish"), so "sea" never matches "season".
_EN_ENDINGS = frozenset(
    {"", "s", "es", "y", "ish", "dish", "der", "en", "ed", "ness", "ly", "lit", "light", "ing"}
)


def _matches(token: str, stem: str) -> bool:
    if not token.startswith(stem):
        return False
    rest = token[len(stem) :]
    if stem.isascii():
        return rest in _EN_ENDINGS
    return len(rest) <= 6  # Russian stems carry case and gender endings


def colour_words(text: str) -> list[str]:
    """Stems found in `text`, in reading order (repeats removed)."""
    found: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        stem = next((s for s in _STEMS if _matches(token, s)), None)
        if stem and stem not in found:
            found.append(stem)
    return found


def _shade(colour: RGB, lightness: float, hue_shift: float = 0.0) -> RGB:
    h, light, s = colorsys.rgb_to_hls(*(c / 255 for c in colour))
    r, g, b = colorsys.hls_to_rgb((h + hue_shift) % 1.0, max(0.0, min(1.0, light * lightness)), s)
    return (round(r * 255), round(g * 255), round(b * 255))


def palette_for(text: str, kind: str) -> list[RGB]:
    """Three colours: sky/top, ground/bottom, accent. Derived from the first colour words of the text."""
    colours = [COLOUR_WORDS[stem] for stem in colour_words(text)[:3]]
    if not colours:
        return list(TYPE_PALETTES.get(kind, DEFAULT_PALETTE))
    if len(colours) == 1:
        colours = [colours[0], _shade(colours[0], 0.45), _shade(colours[0], 1.5, 0.08)]
    elif len(colours) == 2:
        colours = [colours[0], colours[1], _shade(colours[0], 1.4, 0.5)]
    return colours
