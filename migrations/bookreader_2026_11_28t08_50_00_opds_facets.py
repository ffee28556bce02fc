"""Issue 12: OPDS "books by author / series / language" pages find their books through an index."""

from bookreader.core.migrations import sql_migration

ID = "2026-11-28T08:50:00:000012"
VERSION = "1.38.0"
DESCRIPTION = "opds: books by author (GIN), by series and by language"

SQL = """
CREATE INDEX books_opds_authors ON books USING gin (authors jsonb_path_ops) WHERE status <> 'failed';
CREATE INDEX books_opds_series ON books (owner, (metadata->>'series')) WHERE status <> 'failed';
CREATE INDEX books_opds_language ON books (owner, (coalesce(language, 'und'))) WHERE status <> 'failed';
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
