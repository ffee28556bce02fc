"""Image providers behind one interface; `build_provider` picks one from the config."""

from __future__ import annotations

import httpx

from bookreader.imaging.model import ImagingConfig
from bookreader.imaging.providers.automatic1111 import Automatic1111Provider
from bookreader.imaging.providers.base import HttpImageProvider, ImageProvider
from bookreader.imaging.providers.openai import OpenAIProvider
from bookreader.imaging.providers.placeholder import PlaceholderProvider
from bookreader.imaging.providers.pollinations import PollinationsProvider

HTTP_PROVIDERS: dict[str, type[HttpImageProvider]] = {
    "pollinations": PollinationsProvider,
    "openai": OpenAIProvider,
    "automatic1111": Automatic1111Provider,
}

# providers that draw from a reference picture (a character's portrait); the others get the text only
REFERENCE_PROVIDERS = frozenset(name for name, cls in HTTP_PROVIDERS.items() if cls.accepts_reference)


def build_provider(config: ImagingConfig, client: httpx.AsyncClient) -> ImageProvider:
    if config.provider == "placeholder":
        return PlaceholderProvider(config)
    try:
        provider_class = HTTP_PROVIDERS[config.provider]
    except KeyError:
        raise ValueError(f"unknown image provider {config.provider!r}") from None
    return provider_class(config, client)


__all__ = [
    "REFERENCE_PROVIDERS",
    "Automatic1111Provider",
    "ImageProvider",
    "OpenAIProvider",
    "PlaceholderProvider",
    "PollinationsProvider",
    "build_provider",
]
