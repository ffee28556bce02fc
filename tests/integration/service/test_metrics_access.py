"""/metrics is not public (security review #13): a token when configured, closed in production without one."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
from tests.harness import LiveService

from bookreader.core.service_routes import metrics_allowed
from bookreader.settings import load_settings


async def test_metrics_need_the_configured_token(limits_api: LiveService) -> None:
    assert limits_api.env["BOOKREADER_METRICS_TOKEN"] == "scrape-token-0123456789"
    async with httpx.AsyncClient(base_url=limits_api.base_url, timeout=10) as http:
        assert (await http.get("/metrics")).status_code == 404
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 404
        right = await http.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
        assert right.status_code == 200 and "bookreader_" in right.text


def _request(settings, headers=None):
    return SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(settings=settings)), headers=headers or {}
    )


def test_metrics_are_closed_in_production_without_a_token(tmp_path) -> None:
    base = {"BOOKREADER_DATA_DIR": str(tmp_path), "BOOKREADER_SECRET_KEY": "k" * 16 + "0123456789abcdef" * 2}
    production = load_settings({**base, "BOOKREADER_ENV": "production"})
    assert not metrics_allowed(_request(production), production)
    development = load_settings(base)
    assert metrics_allowed(_request(development), development)  # development: open, as before
