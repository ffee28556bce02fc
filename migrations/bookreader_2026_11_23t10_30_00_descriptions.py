"""nlp_runs: how each book's last analysis ran (processes, batches, duration)."""

from bookreader.core.migrations import sql_migration

ID = "2026-11-23T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "descriptions: nlp_runs"

SQL = """
CREATE TABLE nlp_runs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    book uuid NOT NULL UNIQUE REFERENCES books(id) ON DELETE CASCADE,
    language varchar(16) NOT NULL,
    loop_pid integer NOT NULL,
    pool_pids jsonb NOT NULL DEFAULT '[]',
    batches integer NOT NULL DEFAULT 0,
    chapters integer NOT NULL DEFAULT 0,
    descriptions integer NOT NULL DEFAULT 0,
    characters integer NOT NULL DEFAULT 0,
    seconds double precision NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
