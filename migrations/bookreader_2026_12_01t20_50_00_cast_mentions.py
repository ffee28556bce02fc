"""Issue 14: the cast is cut at the reader's position, so every mention of a character or place is stored."""

from bookreader.core.migrations import sql_migration

ID = "2026-12-01T20:50:00:000014"
VERSION = "1.38.0"
DESCRIPTION = "descriptions: characters.kind (character|place), character_mentions; furthest-position index"

SQL = """
ALTER TABLE characters ADD COLUMN kind varchar(16) NOT NULL DEFAULT 'character';
CREATE TABLE character_mentions (
    id bigserial PRIMARY KEY,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    character uuid NOT NULL REFERENCES characters(id) ON DELETE CASCADE,
    alias text NOT NULL,
    chapter integer NOT NULL,
    char_offset integer NOT NULL
);
CREATE INDEX character_mentions_position ON character_mentions (book, chapter, char_offset);
CREATE INDEX character_mentions_character ON character_mentions (character);
CREATE INDEX position_writes_furthest ON position_writes (owner, book, chapter DESC, char_offset DESC);
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
