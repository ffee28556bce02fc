"""Any OpenAI-compatible images API: POST /images/generations, answer in b64_json or a URL."""

from __future__ import annotations

import base64
import binascii

from bookreader.imaging.model import ImageRequest, ProviderError
from bookreader.imaging.providers.base import Fetched, HttpImageProvider
from bookreader.imaging.providers.retry import raise_for_status


class OpenAIProvider(HttpImageProvider):
    name = "openai"
    default_base_url = "https://api.openai.com/v1"

    async def _fetch(self, request: ImageRequest, width: int, height: int) -> Fetched:
        payload = {
            "model": self.config.model or "dall-e-3",
            "prompt": request.prompt,
            "size": f"{width}x{height}",
            "n": 1,
            "response_format": "b64_json",
        }
        response = await self.client.post(
            f"{self.base_url}/images/generations", json=payload, headers=self.headers(), timeout=self.timeout
        )
        raise_for_status(response, self.name)
        items = self.json_or_fail(response).get("data")
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise ProviderError("invalid_response", "openai answered without data[0]", transient=False)
        item = items[0]
        if isinstance(item.get("b64_json"), str):
            try:
                return Fetched(base64.b64decode(item["b64_json"], validate=True), request.seed)
            except (binascii.Error, ValueError) as exc:
                raise ProviderError(
                    "invalid_image", "openai b64_json is not base64", transient=False
                ) from exc
        if isinstance(item.get("url"), str):
            # Hosted result URLs are pre-signed: no Authorization header for them.
            image = await self.client.get(item["url"], timeout=self.timeout, follow_redirects=True)
            raise_for_status(image, self.name)
            return Fetched(image.content, request.seed)
        raise ProviderError("invalid_response", "openai answered neither b64_json nor url", transient=False)
