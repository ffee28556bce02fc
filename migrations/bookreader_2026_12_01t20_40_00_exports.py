"""Issue 14: the illustrated EPUB export (one row per book and variant) and where a book's story starts."""

from bookreader.core.migrations import sql_migration

ID = "2026-12-01T20:40:00:000014"
VERSION = "1.38.0"
DESCRIPTION = "exports: book_exports; books.start_chapter"

SQL = """
CREATE TABLE book_exports (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    variant varchar(16) NOT NULL DEFAULT 'plain',
    fingerprint varchar(64) NOT NULL,
    status varchar(16) NOT NULL DEFAULT 'building',
    progress double precision NOT NULL DEFAULT 0,
    file_name text NOT NULL DEFAULT '',
    built_fingerprint varchar(64),
    size_bytes bigint NOT NULL DEFAULT 0,
    builds integer NOT NULL DEFAULT 0,
    error_code varchar(64),
    error_message text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX book_exports_book_variant ON book_exports (book, variant);
CREATE INDEX book_exports_owner ON book_exports (owner, book);
ALTER TABLE books ADD COLUMN start_chapter integer;
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
