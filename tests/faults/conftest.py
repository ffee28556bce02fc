"""Fault tests run their own service processes (killed, restarted) on a database and queue of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.admin.isolation import isolated_environment


@pytest.fixture
def fault_env(migrated: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    with isolated_environment(migrated, tmp_path) as env:
        yield env
