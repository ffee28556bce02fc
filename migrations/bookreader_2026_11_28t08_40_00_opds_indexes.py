"""Issue 12: OPDS catalog pages of big libraries read a page of ids from an index in the feed's order."""

from bookreader.core.migrations import sql_migration

ID = "2026-11-28T08:40:00:000012"
VERSION = "1.38.0"
DESCRIPTION = "opds: books by owner in title and recency order (not failed)"

SQL = """
CREATE INDEX books_opds_title ON books (owner, lower(title), id) WHERE status <> 'failed';
CREATE INDEX books_opds_recent ON books (owner, created_at DESC, id) WHERE status <> 'failed';
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
