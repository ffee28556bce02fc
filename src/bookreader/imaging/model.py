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
    denoising_strength: float = 0.6  # automatic1111 img2img: how far from the reference picture (0..1)
    send_seed: bool = False  # openai-compatible: send `seed` (servers that accept it; OpenAI's own does not)


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
    variant: int = 0  # a regenerated version (the placeholder draws another card)
    # a picture the result should resemble (a character's portrait), for providers that accept one
    reference: bytes | None = None
    reference_media_type: str = "image/png"


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
