"""Where generated pictures live (content-addressed under the data folder) and how they are stored."""

from __future__ import annotations

import hashlib
from pathlib import Path

import anyio

from bookreader.core.storage import Storage
from bookreader.imaging.model import GeneratedImage, ImagingConfig
from bookreader.imaging.thumbnails import make_thumbnail
from bookreader.settings import Settings

API = "/api/v1"
# URLs are content hashes, but the files are the owner's: browsers may keep them, shared caches may not
IMMUTABLE_PRIVATE = "private, max-age=31536000, immutable"
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}


def file_path(storage: Storage, content_hash: str, media_type: str) -> Path:
    return storage.root / "images" / content_hash[:2] / f"{content_hash}{EXTENSIONS.get(media_type, '.img')}"


def thumbnail_path(storage: Storage, content_hash: str) -> Path:
    return storage.root / "images" / content_hash[:2] / f"{content_hash}.thumb.webp"


def file_url(content_hash: str) -> str:
    """Keyed by content, so the response may be cached forever."""
    return f"{API}/image-files/{content_hash}"


def _write(storage: Storage, image: GeneratedImage, content_hash: str) -> None:
    path = file_path(storage, content_hash, image.media_type)
    if not path.exists():
        storage.write(path, image.data)


async def store_image(storage: Storage, image: GeneratedImage) -> str:
    """Write the picture (off the event loop); returns the content hash. Thumbnails are made on first
    request, which keeps their cost off the way to `ready`."""
    content_hash = hashlib.sha256(image.data).hexdigest()
    await anyio.to_thread.run_sync(_write, storage, image, content_hash)
    return content_hash


def _ensure_thumbnail(storage: Storage, original: Path, thumb: Path) -> None:
    if not thumb.exists():
        storage.write(thumb, make_thumbnail(original.read_bytes()))


async def ensure_thumbnail(storage: Storage, content_hash: str, media_type: str) -> Path:
    original, thumb = file_path(storage, content_hash, media_type), thumbnail_path(storage, content_hash)
    if not thumb.exists() and original.exists():
        await anyio.to_thread.run_sync(_ensure_thumbnail, storage, original, thumb)
    return thumb


def imaging_config(settings: Settings, provider: str | None = None) -> ImagingConfig:
    """The app's settings as the imaging package's config. A provider other than the configured one (the
    placeholder, for pre-generation) gets no URL, key or model."""
    name = provider or settings.image_provider
    configured = name == settings.image_provider
    return ImagingConfig(
        provider=name,  # type: ignore[arg-type]
        base_url=settings.image_base_url if configured else None,
        api_key=settings.image_api_key if configured else None,
        model=settings.image_model if configured else None,
        width=settings.image_width,
        height=settings.image_height,
        timeout=settings.image_timeout,
        retries=settings.image_retries,
        backoff_base=settings.image_backoff_base,
        concurrency=settings.image_concurrency,
        denoising_strength=settings.image_denoising_strength,
        send_seed=settings.image_send_seed,
    )
