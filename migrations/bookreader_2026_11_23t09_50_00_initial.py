"""Accounts, books, chapters, descriptions and characters."""

from bookreader.core.migrations import sql_migration

ID = "2026-11-23T09:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "initial schema"

SQL = """
CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email varchar(320) NOT NULL UNIQUE,
    password_hash text NOT NULL,
    display_name varchar(200) NOT NULL DEFAULT '',
    role varchar(16) NOT NULL DEFAULT 'user',
    plan varchar(16) NOT NULL DEFAULT 'free',
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "user" uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id uuid NOT NULL,
    token_hash varchar(64) NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_user ON refresh_tokens ("user");
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE books (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title text NOT NULL DEFAULT '',
    authors jsonb NOT NULL DEFAULT '[]',
    language varchar(16),
    format varchar(8) NOT NULL,
    status varchar(16) NOT NULL DEFAULT 'queued',
    stage_progress double precision NOT NULL DEFAULT 0,
    error_code varchar(64),
    error_message text,
    chapter_count integer NOT NULL DEFAULT 0,
    word_count integer NOT NULL DEFAULT 0,
    content_hash varchar(64) NOT NULL,
    file_size bigint NOT NULL DEFAULT 0,
    filename text NOT NULL DEFAULT '',
    has_cover boolean NOT NULL DEFAULT false,
    metadata jsonb NOT NULL DEFAULT '{}',
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT books_owner_content UNIQUE (owner, content_hash)
);
CREATE INDEX books_owner_created ON books (owner, created_at DESC);
CREATE INDEX books_unfinished ON books (status) WHERE status IN ('queued', 'parsing', 'analyzing');

CREATE TABLE chapters (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    number integer NOT NULL,
    title text NOT NULL DEFAULT '',
    level integer NOT NULL DEFAULT 1,
    html text NOT NULL,
    text text NOT NULL,
    paragraphs jsonb NOT NULL DEFAULT '[]',
    word_count integer NOT NULL DEFAULT 0,
    is_front_matter boolean NOT NULL DEFAULT false,
    CONSTRAINT chapters_book_number UNIQUE (book, number)
);

CREATE TABLE descriptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    chapter integer NOT NULL,
    type varchar(16) NOT NULL,
    text text NOT NULL,
    start integer NOT NULL,
    "end" integer NOT NULL,
    confidence double precision NOT NULL,
    priority double precision NOT NULL,
    entities jsonb NOT NULL DEFAULT '[]',
    CONSTRAINT descriptions_span UNIQUE (book, chapter, start, "end", type)
);
CREATE INDEX descriptions_book_chapter ON descriptions (book, chapter, start);

CREATE TABLE characters (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    name text NOT NULL,
    aliases jsonb NOT NULL DEFAULT '[]',
    mention_count integer NOT NULL DEFAULT 0,
    first_chapter integer NOT NULL DEFAULT 1,
    appearance jsonb NOT NULL DEFAULT '[]',
    CONSTRAINT characters_book_name UNIQUE (book, name)
);
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
