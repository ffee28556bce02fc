"""Pollinations: GET the prompt as a URL path; the answer body is the image."""

from __future__ import annotations

import random
from urllib.parse import quote

from bookreader.imaging.model import ImageRequest
from bookreader.imaging.providers.base import Fetched, HttpImageProvider
from bookreader.imaging.providers.retry import raise_for_status


class PollinationsProvider(HttpImageProvider):
    name = "pollinations"
    default_base_url = "https://image.pollinations.ai/prompt"

    async def _fetch(self, request: ImageRequest, width: int, height: int) -> Fetched:
        # Pollinations picks a random seed when none is given; choose it here so it can be recorded.
        seed = request.seed if request.seed is not None else random.randrange(2**31)
        params: dict[str, str | int] = {"width": width, "height": height, "seed": seed, "nologo": "true"}
        if self.config.model:
            params["model"] = self.config.model
        if request.negative_prompt:
            params["negative_prompt"] = request.negative_prompt
        url = f"{self.base_url}/{quote(request.prompt, safe='')}"
        response = await self.client.get(url, params=params, headers=self.headers(), timeout=self.timeout)
        raise_for_status(response, self.name)
        return Fetched(response.content, seed)
