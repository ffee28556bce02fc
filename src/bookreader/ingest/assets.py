"""Images referenced by chapters: verified by magic bytes, named stably, addressed by URL."""

from __future__ import annotations

from collections.abc import Callable

from bookreader.ingest.model import ParsedAsset

_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}


def image_type(data: bytes) -> str | None:
    """The media type from the magic bytes. SVG is deliberately not an image here: it can carry script."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def make_asset(name_stem: str, data: bytes | None) -> ParsedAsset | None:
    if not data:
        return None
    media_type = image_type(data)
    if media_type is None:
        return None
    return ParsedAsset(name=name_stem + _EXTENSIONS[media_type], media_type=media_type, data=data)


class AssetRegistry:
    """Loads an image the first time a chapter references it; a missing or non-image source is None."""

    def __init__(self, base_url: str, load: Callable[[str], bytes | None]) -> None:
        self.base_url = base_url
        self._load = load
        self._by_key: dict[str, ParsedAsset | None] = {}
        self.assets: list[ParsedAsset] = []

    def get(self, key: str) -> ParsedAsset | None:
        if key not in self._by_key:
            asset = make_asset(f"images/{len(self.assets) + 1:04d}", self._load(key))
            self._by_key[key] = asset
            if asset is not None:
                self.assets.append(asset)
        return self._by_key[key]

    def url(self, key: str) -> str | None:
        asset = self.get(key)
        return None if asset is None else self.base_url + asset.name
