"""Pure imaging: providers, prompts, prompt refinement, thumbnails. No HTTP server, DB or Redis here."""

from bookreader.imaging.model import GeneratedImage, ImageRequest, ImagingConfig, ProviderError
from bookreader.imaging.providers import ImageProvider, build_provider

__all__ = [
    "GeneratedImage",
    "ImageProvider",
    "ImageRequest",
    "ImagingConfig",
    "ProviderError",
    "build_provider",
]
