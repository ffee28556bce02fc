"""Helpers for the hand-written SQL migrations in `migrations/`.

Migrations are raw SQL on purpose: several domains evolve their tables at once, and explicit SQL keeps each
change reviewable and independent of the order the Table classes were edited in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from bookreader.core.db import get_engine


def split_statements(sql: str) -> list[str]:
    """Statements separated by a `;` at the end of a line (no procedural bodies in our migrations)."""
    statements, current = [], []
    for line in sql.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            statement = "\n".join(current).strip()
            if statement.strip(";").strip():
                statements.append(statement)
            current = []
    tail = "\n".join(current).strip()
    if tail:
        statements.append(tail)
    return statements


def sql_migration(migration_id: str, description: str, sql: str) -> Callable[[], Awaitable[MigrationManager]]:
    """Build the `forwards` coroutine function of a migration module that runs `sql`."""

    async def forwards() -> MigrationManager:
        manager = MigrationManager(migration_id=migration_id, app_name="bookreader", description=description)

        async def run() -> None:
            engine = get_engine()
            for statement in split_statements(sql):
                await engine.run_ddl(statement)

        manager.add_raw(run)
        return manager

    return forwards
