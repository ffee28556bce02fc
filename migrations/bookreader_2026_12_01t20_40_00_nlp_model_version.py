"""Issue 11: which model version analysed each book (re-analysis finds books of an older model), and the
optional LLM judge's one-line visual summary of a passage."""

from bookreader.core.migrations import sql_migration

ID = "2026-12-01T20:40:00:000011"
VERSION = "1.38.0"
DESCRIPTION = "descriptions: nlp_runs.model_version, descriptions.summary"

SQL = """
ALTER TABLE nlp_runs ADD COLUMN model_version varchar(64) NOT NULL DEFAULT '';
CREATE INDEX nlp_runs_model_version ON nlp_runs (model_version);
ALTER TABLE descriptions ADD COLUMN summary text;
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
