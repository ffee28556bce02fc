"""A database and queue of their own for tests that start extra service processes.

A starting worker re-enqueues every unfinished book in its database (crash recovery). Sharing the session's
database would let such a worker pick up books the shared service is processing — with another data folder
and events prefix — so these services get their own database, queue, events prefix and data folder.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.harness import _with_database, template_of

from bookreader.core.embedded import create_database, drop_database


def _run(coro_factory) -> None:
    # in a thread of its own: never touches the event loop pytest-asyncio keeps for the session
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(coro_factory())).result()


@contextlib.contextmanager
def isolated_environment(base: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    run = uuid.uuid4().hex[:10]
    admin_url = _with_database(base["DATABASE_URL"], "postgres")
    name = f"bookreader_iso_{run}"
    # a copy of the session's migrated template (conftest `migrated`): the schema every service expects,
    # without a `bookreader migrate` process per test (the services still run migrations when they start)
    _run(lambda: create_database(admin_url, name, template=template_of(base["DATABASE_URL"])))
    env = {
        **base,
        "DATABASE_URL": _with_database(base["DATABASE_URL"], name),
        "BOOKREADER_DATA_DIR": str(tmp_path / "data"),
        "BOOKREADER_QUEUE_NAME": f"bookreader:iso:{run}:queue",
        "BOOKREADER_EVENTS_PREFIX": f"bookreader:iso:{run}:events",
    }
    try:
        yield env
    finally:
        _run(lambda: drop_database(admin_url, name))
