"""The process-wide Piccolo engine, built from the settings on first use."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from bookreader.core import affinity, autogroup, cpugroup, resources
from bookreader.settings import Settings, load_settings

_engine: PostgresEngine | None = None
_tables: tuple[type[Table], ...] = ()  # handed in by the app / worker / CLI (bookreader/tables.py)


def configure_engine(settings: Settings, tables: Sequence[type[Table]] | None = None) -> PostgresEngine:
    """Create the engine for `settings.database_url` (replacing any earlier one) and bind `tables` to it
    (and the tables handed in before, when `tables` is None: a re-configured engine keeps them bound)."""
    global _engine, _tables
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (the CLI starts an embedded server when it is unset)")
    _engine = PostgresEngine(config={"dsn": settings.database_url}, log_queries=False)
    if tables is not None:
        _tables = tuple(tables)
    for table in _tables:
        table._meta.db = _engine
    return _engine


def get_engine() -> PostgresEngine:
    if _engine is None:
        return configure_engine(load_settings())
    return _engine


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Release without `RESET ALL; CLOSE ALL; UNLISTEN *; pg_advisory_unlock_all()` (one round trip per
    query otherwise). asyncpg still rolls back an open transaction first; nothing here sets session state,
    listens on or locks through a pooled connection."""


async def start_pool(
    settings: Settings, tables: Sequence[type[Table]], *, max_size: int = 20
) -> PostgresEngine:
    engine = configure_engine(settings, tables)
    await engine.start_connection_pool(min_size=1, max_size=max_size, reset=_keep_session)
    return engine


async def fetchrow(sql: str, *args: Any) -> asyncpg.Record | None:
    """One raw statement on one pooled connection (prepared and cached by asyncpg): for the hot paths."""
    engine = get_engine()
    if engine.pool is None:
        connection = await engine.get_new_connection()
        try:
            return await connection.fetchrow(sql, *args)
        finally:
            await connection.close()
    return await engine.pool.fetchrow(sql, *args)


@contextlib.asynccontextmanager
async def connection() -> AsyncIterator[asyncpg.Connection]:
    """One pooled connection for a hot path's few raw statements in a row, outside a transaction (each its
    own): a second statement does not wait in the pool's queue again."""
    engine = get_engine()
    if engine.pool is None:
        connection = await engine.get_new_connection()
        try:
            yield connection
        finally:
            await connection.close()
        return
    async with engine.pool.acquire() as pooled:
        yield pooled


async def fetch(sql: str, *args: Any) -> list[asyncpg.Record]:
    """Like `fetchrow`, all rows."""
    engine = get_engine()
    if engine.pool is None:
        connection = await engine.get_new_connection()
        try:
            rows: list[asyncpg.Record] = await connection.fetch(sql, *args)
            return rows
        finally:
            await connection.close()
    pooled: list[asyncpg.Record] = await engine.pool.fetch(sql, *args)
    return pooled


async def fetchval(sql: str, *args: Any) -> Any:
    row = await fetchrow(sql, *args)
    return None if row is None else row[0]


async def connect_at_our_priority(dsn: str) -> asyncpg.Connection:
    """A new connection whose Postgres backend runs at this process' priority, when that backend is a
    process of this machine (the embedded Postgres of a single box): a niced pool process' bulk writes (a
    book's chapters, their search index, its descriptions) then yield the cores to readers' queries as the
    pool process itself does, instead of running at full priority in Postgres. Otherwise left as it is."""
    connection: asyncpg.Connection = await asyncpg.connect(dsn)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    if ours > 0:
        port = await connection.fetchval("SELECT inet_client_port()")
        _renice_backend(connection.get_server_pid(), f"({port})" if port else "[local]", ours)
    return connection


def _renice_backend(pid: int, client: str, nice: int) -> None:
    """Renice `pid` only if it is the backend serving us: a local process whose title (`postgres: user db
    host(port) state`) names our client port (a remote server's backend pid means nothing here). A backend
    is a session leader of its own, so under Linux autogroup its nice alone weighs nothing against the
    API's and the readers' backends' sessions: its session group gets the nice too."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        if title.startswith("postgres:") and client in title:
            os.setpriority(os.PRIO_PROCESS, pid, max(nice, os.getpriority(os.PRIO_PROCESS, pid)))
            if os.getsid(pid) == pid:
                autogroup.set_nice(pid, nice)
            if (group := cpugroup.own_idle_group()) is not None:  # an idle pool child's backend: idle as well
                cpugroup.join(group, pid)
            affinity.follow(pid)  # and on its CPUs: off the API's core
    except OSError:  # not Linux, not ours to change, or gone: the write runs at Postgres' priority
        pass


async def close_pool() -> None:
    if _engine is not None:
        await _engine.close_connection_pool()


async def ping(timeout: float = 2.0) -> None:
    """Raise unless PostgreSQL answers within `timeout`."""
    await asyncio.wait_for(get_engine().run_ddl("SELECT 1"), timeout)


def migrations_dir(settings: Settings) -> Path:
    if settings.migrations_dir:
        return Path(settings.migrations_dir)
    return resources.migrations_dir()


async def migrate(settings: Settings) -> None:
    """Apply every pending migration in `migrations/`."""
    os.environ["PICCOLO_CONF"] = "bookreader.core.piccolo_conf"
    os.environ["BOOKREADER_MIGRATIONS_DIR_RESOLVED"] = str(migrations_dir(settings))
    configure_engine(settings)
    result = await run_forwards(app_name="bookreader")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
