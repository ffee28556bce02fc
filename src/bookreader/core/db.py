"""The process-wide Piccolo engine, built from the settings on first use."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from piccolo.engine.postgres import PostgresEngine

from bookreader.settings import Settings, load_settings

_engine: PostgresEngine | None = None


def configure_engine(settings: Settings) -> PostgresEngine:
    """Create the engine for `settings.database_url` (replacing any earlier one)."""
    global _engine
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (the CLI starts an embedded server when it is unset)")
    _engine = PostgresEngine(config={"dsn": settings.database_url}, log_queries=False)
    from bookreader.core.piccolo_app import TABLES

    for table in TABLES:
        table._meta.db = _engine
    return _engine


def get_engine() -> PostgresEngine:
    if _engine is None:
        return configure_engine(load_settings())
    return _engine


async def start_pool(settings: Settings, *, max_size: int = 20) -> PostgresEngine:
    engine = configure_engine(settings)
    await engine.start_connection_pool(min_size=1, max_size=max_size)
    return engine


async def close_pool() -> None:
    if _engine is not None:
        await _engine.close_connection_pool()


async def ping(timeout: float = 2.0) -> None:
    """Raise unless PostgreSQL answers within `timeout`."""
    await asyncio.wait_for(get_engine().run_ddl("SELECT 1"), timeout)


def migrations_dir(settings: Settings) -> Path:
    if settings.migrations_dir:
        return Path(settings.migrations_dir)
    # a source checkout or the container's /app: <root>/src/bookreader/core/db.py → <root>/migrations
    return Path(__file__).resolve().parents[3] / "migrations"


async def migrate(settings: Settings) -> None:
    """Apply every pending migration in `migrations/`."""
    os.environ["PICCOLO_CONF"] = "bookreader.core.piccolo_conf"
    os.environ["BOOKREADER_MIGRATIONS_DIR_RESOLVED"] = str(migrations_dir(settings))
    configure_engine(settings)
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="bookreader")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
