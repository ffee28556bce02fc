"""Any OpenAI-compatible images API: POST /images/generations, or /images/edits (multipart, the reference
picture as `image`) when there is one; answer in b64_json or a URL. `seed` only where the server takes it."""

from __future__ import annotations

import base64
import binascii

from bookreader.imaging.model import ImageRequest, ProviderError
from bookreader.imaging.providers.base import Fetched, HttpImageProvider
from bookreader.imaging.providers.retry import raise_for_status

_SUFFIX = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class OpenAIProvider(HttpImageProvider):
    name = "openai"
    default_base_url = "https://api.openai.com/v1"
    accepts_reference = True

    async def _fetch(self, request: ImageRequest, width: int, height: int) -> Fetched:
        fields: dict[str, str | int] = {
            "model": self.config.model or ("dall-e-2" if request.reference else "dall-e-3"),
            "prompt": request.prompt,
            "size": f"{width}x{height}",
            "n": 1,
            "response_format": "b64_json",
        }
        seed = request.seed if self.config.send_seed else None
        if seed is not None:
            fields["seed"] = seed
        if request.reference:
            name = f"reference.{_SUFFIX.get(request.reference_media_type, 'png')}"
            response = await self.client.post(
                f"{self.base_url}/images/edits",
                data={key: str(value) for key, value in fields.items()},
                files={"image": (name, request.reference, request.reference_media_type)},
                headers=self.headers(),
                timeout=self.timeout,
            )
        else:
            response = await self.client.post(
                f"{self.base_url}/images/generations",
                json=fields,
                headers=self.headers(),
                timeout=self.timeout,
            )
        raise_for_status(response, self.name)
        return await self._image(self.json_or_fail(response), seed)

    async def _image(self, body: dict, seed: int | None) -> Fetched:
        items = body.get("data")
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise ProviderError("invalid_response", "openai answered without data[0]", transient=False)
        item = items[0]
        if isinstance(item.get("b64_json"), str):
            try:
                return Fetched(base64.b64decode(item["b64_json"], validate=True), seed)
            except (binascii.Error, ValueError) as exc:
                raise ProviderError(
                    "invalid_image", "openai b64_json is not base64", transient=False
                ) from exc
        if isinstance(item.get("url"), str):
            # Hosted result URLs are pre-signed: no Authorization header for them.
            image = await self.client.get(item["url"], timeout=self.timeout, follow_redirects=True)
            raise_for_status(image, self.name)
            return Fetched(image.content, seed)
        raise ProviderError("invalid_response", "openai answered neither b64_json nor url", transient=False)
