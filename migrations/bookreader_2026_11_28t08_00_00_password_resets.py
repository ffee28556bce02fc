"""Accounts: admin-issued one-time password reset tokens (stored hashed)."""

from bookreader.core.migrations import sql_migration

ID = "2026-11-28T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "accounts: password_resets"

SQL = """
CREATE TABLE password_resets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "user" uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash varchar(64) NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_user ON password_resets ("user");
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
