from __future__ import annotations

import io

from PIL import Image
from tests.stub_server import tiny_png

from bookreader.imaging.providers.placeholder import render_card
from bookreader.imaging.thumbnails import make_thumbnail, make_thumbnail_async


async def test_thumbnail_is_a_320px_webp_with_the_same_aspect():
    thumbnail = await make_thumbnail_async(render_card("location", "green hills", 768, 512))

    with Image.open(io.BytesIO(thumbnail)) as image:
        assert (image.format, image.size) == ("WEBP", (320, 213))


def test_small_images_are_not_upscaled():
    with Image.open(io.BytesIO(make_thumbnail(tiny_png(size=(64, 48))))) as image:
        assert image.size == (64, 48)
