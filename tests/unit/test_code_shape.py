"""The shape the team's guide asks of the code, read from the tree (#16), so it stays true:

- `core/` knows no domain: nothing under bookreader/core imports bookreader.domain;
- dependencies are visible: no module of a domain or of core imports a domain inside a function;
- modules ≤ 400 lines, functions ≤ 80 lines;
- every domain's table is in the list the app hands to core.db (bookreader/tables.py).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from piccolo.table import Table

import bookreader
from bookreader.tables import TABLES

PACKAGE = Path(bookreader.__file__).resolve().parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _modules() -> list[tuple[str, Path, ast.Module]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        found.append((name, path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return found


MODULES = _modules()


def _imported(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: resolve against the importing module's package
        base = module.split(".")[: -node.level]
        return [".".join([*base, node.module] if node.module else base)]
    return [node.module or ""]


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def _is_domain(name: str) -> bool:
    return name == "bookreader.domain" or name.startswith("bookreader.domain.")


def test_the_walk_sees_the_package() -> None:
    names = {name for name, _, _ in MODULES}
    assert {"bookreader.core.db", "bookreader.domain.books.service", "bookreader.worker"} <= names


def test_core_imports_no_domain() -> None:
    offenders = [
        f"{name}: imports {target}"
        for name, _, tree in MODULES
        if name.startswith("bookreader.core.")
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for target in _imported(node, name)
        if _is_domain(target)
    ]
    assert offenders == []


def test_no_domain_import_hides_in_a_function() -> None:
    offenders = [
        f"{name}:{node.lineno} {function.name}() imports {target}"
        for name, _, tree in MODULES
        if _is_domain(name) or name.startswith("bookreader.core.")
        for function in _functions(tree)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for target in _imported(node, name)
        if _is_domain(target)
    ]
    assert offenders == []


def test_modules_are_at_most_400_lines() -> None:
    offenders = {
        name: lines
        for name, path, _ in MODULES
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert offenders == {}


def test_functions_are_at_most_80_lines() -> None:
    offenders = {
        f"{name}:{function.lineno} {function.name}": length
        for name, _, tree in MODULES
        for function in _functions(tree)
        if (length := (function.end_lineno or function.lineno) - function.lineno + 1) > MAX_FUNCTION_LINES
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os\n", False),
        ("def f():\n    from bookreader.domain.books import jobs\n", True),
        ("def f():\n    from ..domain.books import jobs\n", True),
    ],
)
def test_the_import_check_tells_a_hidden_domain_import(source: str, expected: bool) -> None:
    tree = ast.parse(source)
    hidden = [
        target
        for function in _functions(tree)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for target in _imported(node, "bookreader.core.example")
    ]
    assert any(_is_domain(target) for target in hidden) is expected


def test_every_table_is_handed_to_the_engine() -> None:
    """core/ binds only the tables the app hands in (bookreader/tables.py): a domain's new table belongs there."""
    for name, _, _ in MODULES:
        if _is_domain(name) and name.endswith(".tables"):
            importlib.import_module(name)

    def subclasses(cls: type) -> set[type]:
        return {sub for child in cls.__subclasses__() for sub in {child, *subclasses(child)}}

    ours = {table for table in subclasses(Table) if table.__module__.startswith("bookreader.domain.")}
    assert ours and ours - set(TABLES) == set()
