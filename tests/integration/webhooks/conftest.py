"""Webhook tests run their own API (+ worker) with private targets allowed and a seconds-long retry schedule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.admin.isolation import isolated_environment
from tests.integration.webhooks.receiver import Receiver

FAST_SCHEDULE = ",".join(["0.3", "0.5", "1"] + ["1.5"] * 40)  # the same backoff logic, in seconds


@pytest.fixture
def webhook_env(migrated: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    with isolated_environment(migrated, tmp_path) as env:
        yield {
            **env,
            "BOOKREADER_WEBHOOK_ALLOW_PRIVATE": "1",
            "BOOKREADER_WEBHOOK_RETRY_SCHEDULE": FAST_SCHEDULE,
            "BOOKREADER_WEBHOOK_LOCK_TTL": "2",
            "BOOKREADER_WEBHOOK_TIMEOUT": "3",
            "BOOKREADER_IMAGE_PREGENERATE": "2",
        }


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
