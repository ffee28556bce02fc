"""Fault tests run their own service processes (killed, restarted) on their own queue, so the shared service
and other tests never see their jobs."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest


@pytest.fixture
def fault_env(migrated: dict[str, str], tmp_path: Path) -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    return {
        **migrated,
        "BOOKREADER_DATA_DIR": str(tmp_path / "data"),
        "BOOKREADER_QUEUE_NAME": f"bookreader:faults:{run}:queue",
        "BOOKREADER_EVENTS_PREFIX": f"bookreader:faults:{run}:events",
    }
