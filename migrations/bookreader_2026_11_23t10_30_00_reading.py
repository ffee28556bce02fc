"""Reading: current positions (+ every write, for statistics), bookmarks, highlights, sessions, daily goals."""

from bookreader.core.migrations import sql_migration

# 10:30:00 is taken by the descriptions migration (Piccolo keys migrations by ID): one microsecond later.
ID = "2026-11-23T10:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "reading: positions, position_writes, bookmarks, highlights, reading_sessions, reading_goals"

SQL = """
CREATE TABLE reading_positions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    chapter integer NOT NULL,
    char_offset integer NOT NULL,
    percentage double precision NOT NULL,
    device varchar(100) NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reading_positions_owner_book UNIQUE (owner, book)
);

CREATE TABLE position_writes (
    id bigserial PRIMARY KEY,
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    chapter integer NOT NULL,
    char_offset integer NOT NULL,
    percentage double precision NOT NULL,
    device varchar(100) NOT NULL DEFAULT '',
    client_time timestamptz NOT NULL,
    accepted boolean NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX position_writes_owner_received ON position_writes (owner, received_at);
CREATE INDEX position_writes_book ON position_writes (book);

CREATE TABLE bookmarks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    chapter integer NOT NULL,
    char_offset integer NOT NULL,
    title text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bookmarks_owner_book ON bookmarks (owner, book, chapter, char_offset);
CREATE INDEX bookmarks_book ON bookmarks (book);

CREATE TABLE highlights (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    chapter integer NOT NULL,
    start integer NOT NULL,
    "end" integer NOT NULL,
    text text NOT NULL,
    color varchar(16) NOT NULL DEFAULT 'yellow',
    note text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT highlights_range CHECK (start >= 0 AND "end" > start)
);
CREATE INDEX highlights_owner_book ON highlights (owner, book, chapter, start);
CREATE INDEX highlights_book ON highlights (book);

CREATE TABLE reading_sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    started_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    end_reason varchar(16),
    chapter integer,
    char_offset integer,
    words_at double precision,
    start_words_at double precision,
    active_seconds double precision NOT NULL DEFAULT 0,
    words_read integer NOT NULL DEFAULT 0
);
CREATE INDEX reading_sessions_owner_started ON reading_sessions (owner, started_at);
CREATE INDEX reading_sessions_open ON reading_sessions (last_seen_at) WHERE ended_at IS NULL;
CREATE INDEX reading_sessions_book ON reading_sessions (book);

CREATE TABLE reading_goals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    minutes_per_day integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
