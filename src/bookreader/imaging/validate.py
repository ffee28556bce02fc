"""Accept only bytes that really are an image: providers sometimes answer HTML or JSON with 200."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from bookreader.imaging.model import ProviderError

_MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


def checked_image(data: bytes) -> tuple[str, int, int]:
    """Return (media_type, width, height) of `data`, or raise a non-transient ProviderError."""
    if not data:
        raise ProviderError("invalid_image", "provider returned no bytes", transient=False)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, size = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ProviderError(
            "invalid_image",
            f"provider returned {len(data)} bytes that are not an image: {exc}",
            transient=False,
        ) from exc
    media_type = _MEDIA_TYPES.get(image_format or "")
    if media_type is None:
        raise ProviderError("invalid_image", f"unsupported image format {image_format}", transient=False)
    return media_type, size[0], size[1]
