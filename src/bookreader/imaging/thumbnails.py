"""Small previews for lists and the reader's margins."""

from __future__ import annotations

import io

from PIL import Image

from bookreader.core.cputhreads import run_low_priority

THUMBNAIL_WIDTH = 320
THUMBNAIL_MEDIA_TYPE = "image/webp"


def make_thumbnail(data: bytes, width: int = THUMBNAIL_WIDTH) -> bytes:
    """A WebP `width` px wide (never upscaled), aspect ratio kept."""
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
        if image.width > width:
            image = image.resize((width, max(1, round(image.height * width / image.width))), Image.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue()


async def make_thumbnail_async(data: bytes, width: int = THUMBNAIL_WIDTH) -> bytes:
    return await run_low_priority(make_thumbnail, data, width)
