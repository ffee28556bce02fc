"""The provider interface and the shared HTTP machinery: limiter, timeouts, retries, validation."""

from __future__ import annotations

import abc
import logging
from typing import Protocol, runtime_checkable

import anyio
import httpx

from bookreader.imaging.model import GeneratedImage, ImageRequest, ImagingConfig, ProviderError
from bookreader.imaging.providers.retry import TransientHttpError, backoff_delay
from bookreader.imaging.validate import checked_image

log = logging.getLogger(__name__)


@runtime_checkable
class ImageProvider(Protocol):
    name: str

    async def generate(self, request: ImageRequest) -> GeneratedImage: ...


class Fetched:
    """Raw image bytes from one successful attempt."""

    __slots__ = ("data", "seed")

    def __init__(self, data: bytes, seed: int | None) -> None:
        self.data = data
        self.seed = seed


class HttpImageProvider(abc.ABC):
    """Subclasses implement one attempt (`_fetch`); this class owns everything around it."""

    name: str = "http"
    default_base_url: str = ""
    accepts_reference = False  # takes ImageRequest.reference (a picture to resemble)

    def __init__(self, config: ImagingConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client
        self.base_url = (config.base_url or self.default_base_url).rstrip("/")
        self._limiter: anyio.CapacityLimiter | None = None  # made lazily: needs a running event loop

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(max(1, self.config.concurrency))
        return self._limiter

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.config.timeout, connect=min(10.0, self.config.timeout))

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}

    @abc.abstractmethod
    async def _fetch(self, request: ImageRequest, width: int, height: int) -> Fetched: ...

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        width = request.width or self.config.width
        height = request.height or self.config.height
        attempts_allowed = 1 + max(0, self.config.retries)
        last: TransientHttpError | None = None
        for attempt in range(1, attempts_allowed + 1):
            try:
                async with self.limiter:
                    fetched = await self._fetch(request, width, height)
                media_type, real_width, real_height = checked_image(fetched.data)
                return GeneratedImage(
                    data=fetched.data,
                    media_type=media_type,
                    provider=self.name,
                    seed=fetched.seed,
                    width=real_width,
                    height=real_height,
                    model=self.config.model,
                    attempts=attempt,
                )
            except TransientHttpError as exc:
                last = exc
            except httpx.TimeoutException as exc:
                last = TransientHttpError("provider_timeout", f"{self.name} timed out: {exc!r}")
            except httpx.TransportError as exc:
                last = TransientHttpError("provider_unreachable", f"{self.name} unreachable: {exc!r}")
            if attempt < attempts_allowed:
                delay = backoff_delay(
                    attempt, self.config.backoff_base, self.config.backoff_max, last.retry_after
                )
                log.info(
                    "%s attempt %d failed (%s), retrying in %.2fs", self.name, attempt, last.message, delay
                )
                await anyio.sleep(delay)
        assert last is not None
        raise ProviderError(last.code, f"{last.message} (after {attempts_allowed} attempts)", transient=True)

    def json_or_fail(self, response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError(
                "invalid_response", f"{self.name} answered non-JSON", transient=False
            ) from exc
        if not isinstance(body, dict):
            raise ProviderError("invalid_response", f"{self.name} answered unexpected JSON", transient=False)
        return body
