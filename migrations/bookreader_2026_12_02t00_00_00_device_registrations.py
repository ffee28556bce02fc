"""Issue 12: KOReader's "Register" creates a device password for an existing account, waiting for approval."""

from bookreader.core.migrations import sql_migration

ID = "2026-12-02T00:00:00:000012"
VERSION = "1.38.0"
DESCRIPTION = "devices: device_passwords.pending, device_passwords.requested_from"

SQL = """
ALTER TABLE device_passwords ADD COLUMN pending boolean NOT NULL DEFAULT false;
ALTER TABLE device_passwords ADD COLUMN requested_from varchar(64);
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
