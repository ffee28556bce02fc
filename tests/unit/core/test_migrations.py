"""The SQL migrations are split into statements by core/migrations.py: one `;` at the end of a line ends one."""

from __future__ import annotations

from bookreader.core.migrations import split_statements


def test_a_semicolon_at_the_end_of_a_line_ends_a_statement() -> None:
    sql = """
CREATE TABLE t (
    id integer PRIMARY KEY,
    note text NOT NULL DEFAULT 'a; b'
);
CREATE INDEX t_note ON t (note);
"""
    assert split_statements(sql) == [
        "CREATE TABLE t (\n    id integer PRIMARY KEY,\n    note text NOT NULL DEFAULT 'a; b'\n);",
        "CREATE INDEX t_note ON t (note);",
    ]


def test_empty_statements_are_dropped_and_a_trailing_one_is_kept() -> None:
    assert split_statements("  \n;\n;;\nSELECT 1;  \n\nSELECT 2") == ["SELECT 1;", "SELECT 2"]
    assert split_statements("") == []


def test_every_shipped_migration_splits_into_statements_that_end_cleanly() -> None:
    """What the real migrations hold: no procedural bodies (`$$`) the splitter would cut apart."""
    import importlib.util

    from bookreader.core.resources import migrations_dir

    paths = sorted(migrations_dir().glob("bookreader_*.py"))
    assert paths, "no migrations found"
    for path in paths:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sql = getattr(module, "SQL", "")
        assert "$$" not in sql, path.name
        statements = split_statements(sql)
        assert all(statement.rstrip().endswith(";") for statement in statements), path.name
