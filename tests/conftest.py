"""Shared fixtures: real PostgreSQL + Redis for the session, the real service as a subprocess, HTTP clients."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.books import write_books
from tests.harness import SHARED_BOOKS, Infrastructure, LiveService, create_admin, random_email, serving
from tests.support import Reader, sign_up

SHARED_MISSING = f"needs the shared test books at {SHARED_BOOKS} (absent on a lone clone; CI has them)"


@pytest.fixture(scope="session")
def shared_books() -> Path:
    """The real-world books in ../shared/books; tests that need them skip on a clone without them."""
    if not SHARED_BOOKS.is_dir():
        pytest.skip(SHARED_MISSING)
    return SHARED_BOOKS


@pytest.fixture(scope="session")
def generated_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Books the tests build themselves: {"novel", "tiny", "russian"} (see tests/books.py)."""
    return write_books(tmp_path_factory.mktemp("books"))


@pytest.fixture
def cpus() -> frozenset[int]:
    """The CPUs this process may run on, for tests of the CPU split: skips unless Linux gives two or more."""
    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs Linux and two CPUs")
    return frozenset(os.sched_getaffinity(0))


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    infrastructure = Infrastructure(tmp_path_factory.mktemp("infra")).start()
    try:
        yield infrastructure
    finally:
        infrastructure.stop()


@pytest.fixture(scope="session")
def service_env(infra: Infrastructure) -> dict[str, str]:
    # one Granian worker: `api` would start one per core, each importing the app (tests that need several
    # say BOOKREADER_WORKERS themselves; tests/unit/test_cli.py covers the default). argon2 with 1 MiB
    # instead of 64: the suite signs up hundreds of readers (the event-loop test hashes at the real cost).
    # No CPU split: the suite runs a service per xdist worker, and the split (one core for the API) assumes
    # the box is the service's; tests/unit/test_worker.py and tests/unit/core/test_affinity.py cover it
    return infra.environment(
        BOOKREADER_WORKERS="1", BOOKREADER_PASSWORD_HASH_MEMORY_KIB="1024", BOOKREADER_PROCESS_POOL_CPUS="all"
    )


@pytest.fixture(scope="session")
def migrated(service_env: dict[str, str], infra: Infrastructure) -> dict[str, str]:
    """Apply migrations once (the service would too; doing it here lets tests touch the DB first), and keep a
    migrated template that tests' own databases are copied from (isolation.py)."""
    infra.migrate(template=True)
    return service_env


@pytest.fixture(scope="session")
def live_service(migrated: dict[str, str], infra: Infrastructure) -> Iterator[LiveService]:
    with serving(migrated, f"service-{infra.run_id}") as service:
        yield service


# One API process per pytest-xdist worker for the tests of limits that no other user of it reaches, instead of
# an API each: its own queue, with no worker on it (uploaded books stay in the pipeline, i.e. active).
LIMITS = {
    "BOOKREADER_EMBEDDED_WORKER": "0",
    "BOOKREADER_METRICS_TOKEN": "scrape-token-0123456789",  # service/test_metrics_access.py
    "BOOKREADER_KOSYNC_REGISTRATION": "1",  # kosync/test_registration.py, with the next two
    "BOOKREADER_RATE_LIMIT_AUTH": "12",
    "BOOKREADER_RATE_LIMIT_WINDOW": "3600",
    "BOOKREADER_MAX_ACTIVE_BOOKS_PER_USER": "2",  # books/test_active_books.py
    "BOOKREADER_MAX_UPLOAD_BYTES": "200000",  # books/test_ingest_shared_books.py
}


@pytest.fixture(scope="session")
def limits_api(migrated: dict[str, str]) -> Iterator[LiveService]:
    """`bookreader api` with LIMITS on the session's database; `limits_api.env` holds its settings."""
    env = {
        **migrated,
        **LIMITS,
        "BOOKREADER_QUEUE_NAME": migrated["BOOKREADER_QUEUE_NAME"] + ":limits",
        "BOOKREADER_EVENTS_PREFIX": migrated["BOOKREADER_EVENTS_PREFIX"] + ":limits",
    }
    with serving(env, "limits-api", command="api") as service:
        yield service


@pytest.fixture(scope="session")
def base_url(live_service: LiveService) -> str:
    return live_service.base_url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="session")
async def db(migrated: dict[str, str]) -> AsyncIterator[None]:
    """The Piccolo engine in the test process, for asserting on rows."""
    from bookreader.core import db as core_db
    from bookreader.settings import load_settings
    from bookreader.tables import TABLES

    await core_db.start_pool(load_settings(migrated), TABLES, max_size=4)
    yield
    await core_db.close_pool()


@pytest.fixture(scope="session")
def admin_account(migrated: dict[str, str]) -> tuple[str, str]:
    """(email, password) of an admin made once per pytest-xdist worker by `bookreader create-admin` (a whole
    CLI process each time otherwise); no test disables or demotes it (an admin cannot lock itself out)."""
    email, password = random_email(), "admin password 1"
    assert "admin created" in create_admin(migrated, email, password)
    return email, password


@pytest.fixture
async def reader(client: httpx.AsyncClient) -> Reader:
    return await sign_up(client)


@pytest.fixture
async def other_reader(client: httpx.AsyncClient) -> Reader:
    return await sign_up(client)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("BOOKREADER_LOG_JSON", "0")
