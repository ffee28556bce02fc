"""Issue 14, the same face in every picture: portraits are pictures of a character, every picture keeps its
earlier versions (regenerated ones) and the reader may pin one; what a picture was drawn from is recorded."""

from bookreader.core.migrations import sql_migration

ID = "2026-12-01T23:50:00:000014"
VERSION = "1.38.0"
DESCRIPTION = "images: character (portraits), variant, pinned, reference_hash; one row per version"

SQL = """
ALTER TABLE images ADD COLUMN character uuid REFERENCES characters(id) ON DELETE CASCADE;
ALTER TABLE images ADD COLUMN variant integer NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN pinned boolean NOT NULL DEFAULT false;
ALTER TABLE images ADD COLUMN reference_hash varchar(64);
ALTER TABLE images DROP CONSTRAINT images_owner_description;
CREATE UNIQUE INDEX images_scene_version ON images (owner, description, variant) WHERE character IS NULL;
CREATE UNIQUE INDEX images_portrait_version ON images (owner, character, variant) WHERE character IS NOT NULL;
CREATE UNIQUE INDEX images_scene_pinned ON images (owner, description) WHERE pinned AND character IS NULL;
CREATE UNIQUE INDEX images_portrait_pinned ON images (owner, character) WHERE pinned AND character IS NOT NULL;
CREATE INDEX images_character ON images (character);
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
