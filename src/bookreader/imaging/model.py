"""Values the imaging package consumes and produces."""

from __future__ import annotations

from typing import Literal

import msgspec

ProviderName = Literal["placeholder", "pollinations", "openai", "automatic1111"]


class ImagingConfig(msgspec.Struct, frozen=True):
    """Everything a provider needs; the app maps its settings onto this."""

    provider: ProviderName = "placeholder"
    base_url: str | None = None  # None → the provider's public default
    api_key: str | None = None
    model: str | None = None
    width: int = 768
    height: int = 512
    timeout: float = 120.0  # seconds per attempt
    retries: int = 3  # extra attempts after the first one, for transient failures only
    backoff_base: float = 1.0  # seconds; doubled per attempt, full jitter
    backoff_max: float = 30.0  # also caps an honoured Retry-After
    concurrency: int = 4  # requests in flight per provider
    steps: int = 25  # automatic1111 sampling steps


class ImageRequest(msgspec.Struct, frozen=True):
    prompt: str
    negative_prompt: str = ""
    width: int | None = None  # None → config default
    height: int | None = None
    seed: int | None = None
    # What the placeholder draws: the description type and its original text.
    kind: str = "scene"
    text: str = ""
    style: str = ""  # shown on the placeholder card, so each style is its own picture


class GeneratedImage(msgspec.Struct, frozen=True):
    data: bytes
    media_type: str
    provider: str
    seed: int | None
    width: int
    height: int
    model: str | None = None
    attempts: int = 1


class ProviderError(Exception):
    """A provider gave up. `transient` says whether trying again later may succeed."""

    def __init__(self, code: str, message: str, *, transient: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.transient = transient
