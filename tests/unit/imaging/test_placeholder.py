from __future__ import annotations

import io

from PIL import Image, ImageStat

from bookreader.imaging import ImageRequest, ImagingConfig, build_provider
from bookreader.imaging.palette import colour_words, palette_for
from bookreader.imaging.providers.placeholder import render_card, title_words


def mean_rgb(data: bytes) -> list[float]:
    with Image.open(io.BytesIO(data)) as image:
        return ImageStat.Stat(image.convert("RGB")).mean


async def test_placeholder_renders_a_real_png(client):
    provider = build_provider(ImagingConfig(provider="placeholder", width=400, height=300), client)
    image = await provider.generate(
        ImageRequest(prompt="p", kind="location", text="A crimson sunset over the bay")
    )

    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (image.media_type, image.provider, image.width, image.height) == (
        "image/png",
        "placeholder",
        400,
        300,
    )
    with Image.open(io.BytesIO(image.data)) as decoded:
        decoded.load()
        assert decoded.size == (400, 300)


def test_same_input_same_picture_and_palette_follows_the_words():
    crimson = render_card("location", "A crimson sunset burned over the hills", 320, 200)
    moonlight = render_card("location", "Cold blue moonlight lay on the hills", 320, 200)

    assert crimson == render_card("location", "A crimson sunset burned over the hills", 320, 200)
    assert crimson != moonlight
    red, _, blue = mean_rgb(crimson)
    red_m, _, blue_m = mean_rgb(moonlight)
    assert red > blue and blue_m > red_m


def test_russian_colour_and_light_words_set_the_palette():
    assert colour_words("Багровый закат и сумерки над золотыми куполами") == [
        "багров",
        "закат",
        "сумер",
        "золот",
    ]
    red, _, blue = mean_rgb(render_card("atmosphere", "Багровый закат пылал над рекой", 320, 200))
    assert red > blue + 40


def test_english_stems_do_not_match_inside_other_words():
    assert colour_words("The season of search for the seat") == []
    assert colour_words("golden moonlit reddish") == ["gold", "moon", "red"]


def test_without_colour_words_the_type_decides_and_types_differ():
    assert palette_for("He opened the door", "object") != palette_for("He opened the door", "action")
    assert render_card("object", "He opened the door", 200, 120) != render_card(
        "action", "He opened the door", 200, 120
    )


def test_title_words_skip_short_and_stop_words():
    assert title_words("The old lighthouse and the cliffs of the northern shore were") == (
        "old lighthouse cliffs northern shore"
    )
