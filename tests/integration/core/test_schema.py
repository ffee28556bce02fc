"""One schema: the database the SQL migrations build is the one the Piccolo tables describe.

Both describe every table (migrations/ by hand, domain/*/tables.py for the ORM) and nothing else checks that
they agree. This test builds a second, empty database from the tables' own DDL and compares the two
catalogues: tables, columns (type, nullability, default), foreign keys (target, ON DELETE) and indexes.
Indexes the tables cannot express (several columns, a WHERE clause, an expression) live only in migrations;
every index a table *can* express (one plain column) must be declared there too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from piccolo.table import Table, sort_table_classes

import bookreader.domain
from bookreader.core.embedded import create_database, drop_database
from tests.harness import _with_database

PICCOLO_BOOKKEEPING = {"migration"}  # Piccolo's own record of applied migrations

COLUMNS = """
SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_value
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
"""

INDEXES = """
SELECT t.relname AS table_name, i.relname AS index_name, x.indisunique AS is_unique, x.indisprimary AS is_primary,
       x.indpred IS NOT NULL OR x.indexprs IS NOT NULL AS is_partial_or_expression,
       array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
       pg_get_indexdef(x.indexrelid) AS definition
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public'
"""

FOREIGN_KEYS = """
SELECT t.relname AS table_name, a.attname AS column_name, r.relname AS references_table,
       ra.attname AS references_column, c.confdeltype AS on_delete
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_class r ON r.oid = c.confrelid
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
WHERE c.contype = 'f' AND n.nspname = 'public'
"""


def table_classes() -> list[type[Table]]:
    """Every Table subclass of every domain (imported here, so a table missing from a list is still seen)."""
    for module in pkgutil.iter_modules(bookreader.domain.__path__):
        if importlib.util.find_spec(f"bookreader.domain.{module.name}.tables") is not None:
            importlib.import_module(f"bookreader.domain.{module.name}.tables")

    def subclasses(cls: type[Table]) -> Iterator[type[Table]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    found = {cls for cls in subclasses(Table) if cls.__module__.startswith("bookreader.domain.")}
    return sort_table_classes(sorted(found, key=lambda cls: cls._meta.tablename))


async def catalogue(url: str) -> dict[str, list[dict[str, Any]]]:
    connection = await asyncpg.connect(url)
    try:
        return {
            name: [dict(row) for row in await connection.fetch(query)]
            for name, query in (("columns", COLUMNS), ("indexes", INDEXES), ("foreign_keys", FOREIGN_KEYS))
        }
    finally:
        await connection.close()


@pytest.fixture
async def expected_url(migrated: dict[str, str], db: None) -> AsyncIterator[str]:
    """An empty database holding exactly what the Piccolo tables' DDL creates."""
    admin_url = _with_database(migrated["DATABASE_URL"], "postgres")
    name = f"bookreader_tables_{uuid.uuid4().hex[:10]}"
    await create_database(admin_url, name)
    url = _with_database(migrated["DATABASE_URL"], name)
    try:
        connection = await asyncpg.connect(url)
        try:
            for table in table_classes():
                for statement in table.create_table().ddl:
                    await connection.execute(statement)
        finally:
            await connection.close()
        yield url
    finally:
        await drop_database(admin_url, name)


async def test_migrations_build_the_schema_the_tables_describe(
    migrated: dict[str, str], expected_url: str
) -> None:
    actual = await catalogue(migrated["DATABASE_URL"])
    expected = await catalogue(expected_url)
    problems = [
        *compare_columns(actual["columns"], expected["columns"]),
        *compare_foreign_keys(actual["foreign_keys"], expected["foreign_keys"]),
        *compare_indexes(actual["indexes"], expected["indexes"]),
    ]
    assert not problems, "the migrations and the Piccolo tables disagree:\n" + "\n".join(problems)


def test_the_comparison_sees_drift() -> None:
    """The comparison itself: a changed type, nullability, default, foreign key or index is reported."""
    column = {
        "table_name": "t",
        "column_name": "c",
        "type": "integer",
        "not_null": True,
        "default_value": "0",
    }
    assert compare_columns([column], [column]) == []
    for change in ({"type": "bigint"}, {"not_null": False}, {"default_value": "1"}):
        assert len(compare_columns([{**column, **change}], [column])) == 1, change
    assert compare_columns([], [column]) == ["t.c: in the tables, not in the migrated database"]
    key = {
        "table_name": "t",
        "column_name": "c",
        "references_table": "u",
        "references_column": "id",
        "on_delete": "c",
    }
    assert compare_foreign_keys([key], [key]) == []
    assert len(compare_foreign_keys([{**key, "on_delete": "n"}], [key])) == 2
    index = {"table_name": "t", "columns": ["c"], "is_unique": False, "is_primary": False}
    index |= {"is_partial_or_expression": False, "definition": "CREATE INDEX i ON public.t USING btree (c)"}
    assert compare_indexes([index], [index]) == []
    assert len(compare_indexes([], [index])) == 1  # the table declares an index the migrations never made
    assert len(compare_indexes([index], [])) == 1  # a one-column index the table could declare and does not
    assert compare_indexes([{**index, "columns": ["c", "d"]}], []) == []  # beyond Piccolo: migrations only
    partial = {**index, "is_partial_or_expression": True}
    assert (
        len(compare_indexes([partial], [index])) == 1
    )  # a partial index is not the plain one the table declares


# What Piccolo cannot say, said once here with the reason (a closed list: anything else is drift).
BEYOND_PICCOLO_COLUMNS = {("search_passages", "tsv"): "a generated tsvector; only raw SQL reads it"}
TYPE_STAND_INS = {
    ("search_passages", "config"): ("regconfig", "character varying(32)")
}  # no regconfig column
COMPOSITE_PRIMARY_KEYS = {"shelf_books": ["shelf", "book"]}  # Piccolo marks the first column only


def normal_default(value: str | None, type_name: str) -> str | float | None:
    if value is None or value.startswith("NULL::"):
        return None
    if value in ("now()", "CURRENT_TIMESTAMP"):
        return "now()"
    if type_name in ("double precision", "real"):
        return float(value)
    return value


def leaves_type_default(table_name: str, column_name: str) -> bool:
    """The table column keeps its Piccolo type's default ('' for Varchar, 0 for Integer, now for Timestamptz):
    Piccolo fills it in on insert, so the migration may leave the column required (no DEFAULT) instead."""
    table = next(cls for cls in table_classes() if cls._meta.tablename == table_name)
    column = table._meta.get_column_by_name(column_name)
    type_default = inspect.signature(type(column)).parameters["default"].default
    default = column.default
    if isinstance(default, str | int | float | bool) or default is None:
        return type(default) is type(type_default) and default == type_default
    return type(default) is type(type_default)


def compare_columns(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[str]:
    problems = []
    in_db = {
        (row["table_name"], row["column_name"]): row
        for row in actual
        if row["table_name"] not in PICCOLO_BOOKKEEPING
    }
    in_tables = {(row["table_name"], row["column_name"]): row for row in expected}
    for key in sorted(in_tables.keys() - in_db.keys()):
        problems.append(f"{key[0]}.{key[1]}: in the tables, not in the migrated database")
    for key in sorted(in_db.keys() - in_tables.keys() - BEYOND_PICCOLO_COLUMNS.keys()):
        problems.append(f"{key[0]}.{key[1]}: in the migrated database, not in the tables")
    for key in sorted(in_db.keys() & in_tables.keys()):
        db_row, table_row = in_db[key], in_tables[key]
        name = f"{key[0]}.{key[1]}"
        if (db_row["type"], table_row["type"]) != TYPE_STAND_INS.get(key, (table_row["type"],) * 2):
            problems.append(
                f"{name}: type {db_row['type']} in the database, {table_row['type']} in the table"
            )
        if db_row["not_null"] != table_row["not_null"]:
            nullness = {True: "NOT NULL", False: "nullable"}
            problems.append(
                f"{name}: {nullness[db_row['not_null']]} in the database, {nullness[table_row['not_null']]} in the table"
            )
        db_default = normal_default(db_row["default_value"], db_row["type"])
        table_default = normal_default(table_row["default_value"], table_row["type"])
        if db_default != table_default and not (db_default is None and leaves_type_default(*key)):
            problems.append(f"{name}: default {db_default!r} in the database, {table_default!r} in the table")
    return problems


def compare_foreign_keys(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[str]:
    def described(rows: list[dict[str, Any]]) -> set[str]:
        actions = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
        return {
            f"{row['table_name']}.{row['column_name']} → {row['references_table']}.{row['references_column']} "
            f"ON DELETE {actions.get(row['on_delete'], row['on_delete'])}"
            for row in rows
        }

    in_db, in_tables = described(actual), described(expected)
    return [f"foreign key only in the database: {key}" for key in sorted(in_db - in_tables)] + [
        f"foreign key only in the tables: {key}" for key in sorted(in_tables - in_db)
    ]


def index_key(row: dict[str, Any]) -> tuple:
    method = re.search(r" USING (\w+) ", row["definition"])
    return (
        row["table_name"],
        tuple(row["columns"]),
        row["is_unique"],
        row["is_primary"],
        row["is_partial_or_expression"],
        method and method[1],
    )


def compare_indexes(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[str]:
    problems = []
    in_db = {index_key(row): row for row in actual if row["table_name"] not in PICCOLO_BOOKKEEPING}
    in_tables = {index_key(row): row for row in expected}
    for key, row in sorted(in_tables.items()):
        composite = COMPOSITE_PRIMARY_KEYS.get(key[0])
        if row["is_primary"] and composite and list(key[1]) == composite[:1]:
            continue
        if key not in in_db:
            problems.append(f"index only in the tables: {row['definition']}")
    for key, row in sorted(in_db.items()):
        one_plain_column = len(key[1]) == 1 and not row["is_partial_or_expression"]
        beyond = (key[0], key[1][0]) in BEYOND_PICCOLO_COLUMNS or (
            row["is_primary"] and key[0] in COMPOSITE_PRIMARY_KEYS
        )
        if one_plain_column and not beyond and key not in in_tables:
            problems.append(
                f"index the table could declare (index=True / unique=True) but does not: {row['definition']}"
            )
    return problems
