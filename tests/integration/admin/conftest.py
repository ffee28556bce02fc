from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.admin.isolation import isolated_environment


@pytest.fixture
def own_env(migrated: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """For tests that start service processes of their own (see isolation.py)."""
    with isolated_environment(migrated, tmp_path) as env:
        yield env
