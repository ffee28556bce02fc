"""The embedded worker's CPU split (issue 17): `serve` moves the API it shares its process with onto the
first CPU and gives its process pool the others; BOOKREADER_PROCESS_POOL_CPUS=all leaves every CPU to both."""

from __future__ import annotations

from pathlib import Path

from bookreader import worker
from bookreader.core import affinity
from bookreader.core.procpool import create_process_pool
from bookreader.settings import load_settings


def _split_in_a_child(data_dir: str, spec: str) -> tuple[frozenset[int], frozenset[int]]:
    """In a pool child (the split pins the process that makes it): (the pool's CPUs, this process' after)."""
    settings = load_settings({"BOOKREADER_DATA_DIR": data_dir, "BOOKREADER_PROCESS_POOL_CPUS": spec})
    return worker._split_cpus(settings), affinity.available()


def _split(tmp_path: Path, spec: str) -> tuple[frozenset[int], frozenset[int]]:
    pool = create_process_pool(1)
    try:
        return pool.submit(_split_in_a_child, str(tmp_path), spec).result(timeout=60)
    finally:
        pool.shutdown(wait=True)


def test_auto_moves_the_api_onto_the_first_cpu_and_gives_the_pool_the_rest(
    tmp_path: Path, cpus: frozenset[int]
) -> None:
    pool, api = _split(tmp_path, "auto")
    assert api == {min(cpus)} and pool == cpus - api


def test_a_cpu_list_names_the_pools_cpus(tmp_path: Path, cpus: frozenset[int]) -> None:
    last = max(cpus)
    pool, api = _split(tmp_path, str(last))
    assert pool == {last} and api == cpus - {last}


def test_all_splits_nothing(tmp_path: Path, cpus: frozenset[int]) -> None:
    assert _split(tmp_path, "all") == (frozenset(), cpus)
