"""Illustrations: shared generated files (cache by prompt hash), per-user images, style presets."""

from bookreader.core.migrations import sql_migration

ID = "2026-11-23T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "illustrations: image_files, images, image_styles"

SQL = """
CREATE TABLE image_files (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    prompt_hash varchar(64) NOT NULL UNIQUE,
    content_hash varchar(64) NOT NULL,
    media_type varchar(32) NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    size_bytes bigint NOT NULL,
    provider varchar(32) NOT NULL,
    model varchar(200),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX image_files_content ON image_files (content_hash);

CREATE TABLE images (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    description uuid NOT NULL REFERENCES descriptions(id) ON DELETE CASCADE,
    file uuid REFERENCES image_files(id) ON DELETE SET NULL,
    chapter integer NOT NULL,
    status varchar(16) NOT NULL DEFAULT 'queued',
    kind varchar(16) NOT NULL,
    prompt text NOT NULL,
    negative_prompt text NOT NULL DEFAULT '',
    style varchar(32) NOT NULL,
    provider varchar(32) NOT NULL,
    model varchar(200),
    width integer NOT NULL,
    height integer NOT NULL,
    seed bigint,
    prompt_hash varchar(64) NOT NULL,
    origin varchar(16) NOT NULL DEFAULT 'request',
    error_code varchar(64),
    error_message text,
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT images_owner_description UNIQUE (owner, description)
);
CREATE INDEX images_book_chapter ON images (book, chapter);
CREATE INDEX images_owner_created ON images (owner, created_at);
CREATE INDEX images_file ON images (file);

CREATE TABLE image_styles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    book uuid REFERENCES books(id) ON DELETE CASCADE,
    style varchar(32) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX image_styles_owner_default ON image_styles (owner) WHERE book IS NULL;
CREATE UNIQUE INDEX image_styles_owner_book ON image_styles (owner, book) WHERE book IS NOT NULL;
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
