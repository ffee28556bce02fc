"""Webhook tests run their own API (+ worker) with private targets allowed and a seconds-long retry schedule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import LiveService, serving
from tests.integration.admin.isolation import isolated_environment
from tests.integration.webhooks.receiver import Receiver

FAST_SCHEDULE = ",".join(["0.3", "0.5", "1"] + ["1.5"] * 40)  # the same backoff logic, in seconds
WEBHOOK_SETTINGS = {
    "BOOKREADER_WEBHOOK_ALLOW_PRIVATE": "1",
    "BOOKREADER_WEBHOOK_RETRY_SCHEDULE": FAST_SCHEDULE,
    "BOOKREADER_WEBHOOK_LOCK_TTL": "2",
    "BOOKREADER_WEBHOOK_TIMEOUT": "3",
    "BOOKREADER_IMAGE_PREGENERATE": "2",
}
# the shared service's endpoints are disabled after 2 s of failures (test_webhooks.py tests that): the other
# tests' receivers answer at once, and a finished test's endpoint (its receiver gone) stops costing the worker
SHARED_SETTINGS = {**WEBHOOK_SETTINGS, "BOOKREADER_WEBHOOK_DISABLE_AFTER": "2"}


@pytest.fixture
def webhook_env(migrated: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """A database of its own per test, for tests that start (and kill) their own api and worker."""
    with isolated_environment(migrated, tmp_path) as env:
        yield {**env, **WEBHOOK_SETTINGS}


@pytest.fixture(scope="session")
def webhook_service(
    migrated: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    """One service (+ embedded worker) per pytest-xdist worker for the webhook tests that only talk to it:
    private targets allowed, retries seconds apart, a database of its own (isolation.py). Every test's
    readers and endpoints are its own; `service.env` is its environment (for CLI commands against it)."""
    work = tmp_path_factory.mktemp("webhooks")
    with (
        isolated_environment(migrated, work) as env,
        serving({**env, **SHARED_SETTINGS}, "webhooks") as service,
    ):
        yield service


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
