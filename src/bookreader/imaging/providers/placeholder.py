"""Offline default: a scene card rendered locally with Pillow, deterministic for the same input.

The picture carries the description type, a few words of the description, and a palette taken from the
text's colour and light words, with shapes chosen by type, so each description gets its own image.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
import re

from PIL import Image, ImageDraw, ImageFont

from bookreader.core.cputhreads import run_low_priority
from bookreader.imaging.model import GeneratedImage, ImageRequest, ImagingConfig
from bookreader.imaging.palette import RGB, palette_for
from bookreader.imaging.validate import checked_image

_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
_STOPWORDS = frozenset(
    "the and with that this from into over under were was his her their they them there then than have had "
    "which while where when what been through upon about like only very some such also just would could "
    "который которая которые было была были этот эта это того тогда когда чтобы только между перед после "
    "очень даже уже будто словно себя свой своей него неё нему ними".split()
)
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def title_words(text: str, limit: int = 5) -> str:
    words = [w for w in _WORD.findall(text) if w.lower() not in _STOPWORDS]
    return " ".join(words[:limit])


def _blend(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _draw_motif(
    draw: ImageDraw.ImageDraw, kind: str, rng: random.Random, w: int, h: int, colours: list[RGB]
) -> None:
    top, bottom, accent = colours
    # A light source (sun, moon, lamp) somewhere in the upper half.
    r = rng.randint(h // 14, h // 6)
    cx, cy = rng.randint(r, w - r), rng.randint(r, h // 2)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(*accent, 210))
    if kind in ("location", "atmosphere", "scene"):
        for layer in range(3):  # receding hills
            base = int(h * (0.55 + 0.12 * layer))
            points = [(0, h)] + [(x, base - rng.randint(0, h // 6)) for x in range(0, w + 64, 64)] + [(w, h)]
            draw.polygon(points, fill=(*_blend(bottom, top, 0.5 - 0.2 * layer), 150 + 35 * layer))
    if kind == "atmosphere":
        for _ in range(14):  # haze
            s = rng.randint(h // 20, h // 7)
            x, y = rng.randint(0, w), rng.randint(0, h)
            draw.ellipse((x - s, y - s, x + s, y + s), fill=(*accent, rng.randint(25, 70)))
    elif kind == "character":
        x = rng.randint(w // 3, 2 * w // 3)
        head, figure = h // 10, _blend(bottom, (0, 0, 0), 0.55)
        draw.ellipse((x - head, h // 3 - head, x + head, h // 3 + head), fill=(*figure, 235))
        draw.polygon(
            [(x - head, h // 3 + head), (x + head, h // 3 + head), (x + 2 * head, h), (x - 2 * head, h)],
            fill=(*figure, 235),
        )
    elif kind == "object":
        x, y, s = w // 2 + rng.randint(-w // 8, w // 8), int(h * 0.55), h // 5
        draw.polygon(
            [(x, y - s), (x + s, y), (x, y + s), (x - s, y)], fill=(*accent, 230), outline=(*bottom, 255)
        )
    elif kind == "action":
        for _ in range(9):  # motion streaks
            y = rng.randint(h // 5, h)
            x = rng.randint(-w // 4, w)
            draw.line((x, y, x + w // 3, y - h // 4), fill=(*accent, 170), width=rng.randint(3, 12))


def render_card(kind: str, text: str, width: int, height: int, style: str = "", variant: int = 0) -> bytes:
    key = f"{kind}\n{style}\n{text}" + (f"\n{variant}" if variant else "")
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    colours = palette_for(text, kind)
    top, bottom, _accent = colours

    mask = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), mask
    )
    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    _draw_motif(draw, kind, rng, width, height, colours)

    band = max(48, height // 6)
    draw.rectangle((0, height - band, width, height), fill=(10, 10, 15, 170))
    label_font, title_font = _font(max(11, band // 4)), _font(max(14, band // 3))
    draw.text(
        (16, height - band + 6),
        " · ".join([kind, *([style] if style else []), *([f"v{variant + 1}"] if variant else [])]).upper(),
        font=label_font,
        fill=(*colours[2], 255),
    )
    words = title_words(text) or kind
    draw.text((16, height - band + 8 + band // 3), words, font=title_font, fill=(245, 245, 240, 255))

    image.paste(overlay, (0, 0), overlay)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)  # speed over size: these are stand-ins
    return out.getvalue()


class PlaceholderProvider:
    name = "placeholder"

    def __init__(self, config: ImagingConfig) -> None:
        self.config = config

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        width = request.width or self.config.width
        height = request.height or self.config.height
        text = request.text or request.prompt
        # Rendering a card takes ~10-20 ms: off the event loop.
        data = await run_low_priority(
            render_card, request.kind, text, width, height, request.style, request.variant
        )
        media_type, real_width, real_height = checked_image(data)
        return GeneratedImage(
            data=data,
            media_type=media_type,
            provider=self.name,
            seed=request.seed,
            width=real_width,
            height=real_height,
        )
