"""Issue 12: device passwords, KOReader document ids (partial MD5 history), kosync positions, and per-paragraph
source paths of chapters (crengine XPointer paths)."""

from bookreader.core.migrations import sql_migration

ID = "2026-11-28T08:20:00:000012"
VERSION = "1.38.0"
DESCRIPTION = "devices: device_passwords; kosync: book_digests, kosync_positions; chapters.sources"

SQL = """
ALTER TABLE chapters ADD COLUMN IF NOT EXISTS sources jsonb NOT NULL DEFAULT '[]'::jsonb;

CREATE TABLE device_passwords (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name varchar(100) NOT NULL,
    key_hash varchar(64) NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NULL
);
CREATE INDEX device_passwords_owner ON device_passwords (owner);

CREATE TABLE book_digests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    digest varchar(32) NOT NULL,
    kind varchar(16) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT book_digests_owner_digest_book UNIQUE (owner, digest, book)
);
CREATE INDEX book_digests_book ON book_digests (book);

CREATE TABLE kosync_positions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    document varchar(64) NOT NULL,
    book uuid NULL REFERENCES books(id) ON DELETE CASCADE,
    progress text NOT NULL,
    percentage double precision NOT NULL,
    device varchar(100) NOT NULL DEFAULT '',
    device_id varchar(100) NOT NULL DEFAULT '',
    chapter integer NULL,
    char_offset integer NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT kosync_positions_owner_document UNIQUE (owner, document)
);
CREATE INDEX kosync_positions_book ON kosync_positions (owner, book);

"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
