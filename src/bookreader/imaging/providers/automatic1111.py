"""Stable Diffusion WebUI (AUTOMATIC1111): txt2img, or img2img from a reference picture (a character's
portrait) so the same person looks alike; the seed is always sent (and chosen here when none is given)."""

from __future__ import annotations

import base64
import binascii
import random

from bookreader.imaging.model import ImageRequest, ProviderError
from bookreader.imaging.providers.base import Fetched, HttpImageProvider
from bookreader.imaging.providers.retry import raise_for_status


class Automatic1111Provider(HttpImageProvider):
    name = "automatic1111"
    default_base_url = "http://127.0.0.1:7860"
    accepts_reference = True

    async def _fetch(self, request: ImageRequest, width: int, height: int) -> Fetched:
        seed = request.seed if request.seed is not None else random.randrange(2**31)
        payload: dict[str, object] = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "width": width,
            "height": height,
            "seed": seed,
            "steps": self.config.steps,
        }
        if self.config.model:
            payload["override_settings"] = {"sd_model_checkpoint": self.config.model}
        endpoint = "txt2img"
        if request.reference:
            endpoint = "img2img"
            payload["init_images"] = [base64.b64encode(request.reference).decode()]
            payload["denoising_strength"] = self.config.denoising_strength
        response = await self.client.post(
            f"{self.base_url}/sdapi/v1/{endpoint}", json=payload, headers=self.headers(), timeout=self.timeout
        )
        raise_for_status(response, self.name)
        images = self.json_or_fail(response).get("images")
        if not isinstance(images, list) or not images or not isinstance(images[0], str):
            raise ProviderError(
                "invalid_response", "automatic1111 answered without images[0]", transient=False
            )
        encoded = images[0].split(",", 1)[-1]  # tolerate a data: URL prefix
        try:
            return Fetched(base64.b64decode(encoded, validate=True), seed)
        except (binascii.Error, ValueError) as exc:
            raise ProviderError(
                "invalid_image", "automatic1111 images[0] is not base64", transient=False
            ) from exc
