"""How many Granian workers each command starts (the tests' services run one: conftest.service_env)."""

from __future__ import annotations

import os
from pathlib import Path

from bookreader.__main__ import _workers
from bookreader.settings import load_settings


def _settings(tmp_path: Path, **env: str):
    base = {"BOOKREADER_DATA_DIR": str(tmp_path), "BOOKREADER_SECRET_KEY": "k" * 16 + "0123456789abcdef" * 2}
    return load_settings({**base, **env})


def test_api_runs_one_worker_per_core_and_serve_one(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert _workers(settings, embedded_worker=False) == (os.cpu_count() or 1)
    assert _workers(settings, embedded_worker=True) == 1


def test_bookreader_workers_decides_for_both(tmp_path: Path) -> None:
    settings = _settings(tmp_path, BOOKREADER_WORKERS="3")
    assert _workers(settings, embedded_worker=False) == 3
    assert _workers(settings, embedded_worker=True) == 3
