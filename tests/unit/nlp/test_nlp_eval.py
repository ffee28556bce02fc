"""Quality gate: the labelled eval set (bench/eval_nlp.py prints the full table)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "eval_nlp", Path(__file__).resolve().parents[3] / "bench" / "eval_nlp.py"
)
eval_nlp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(eval_nlp)


def test_eval_sets_are_big_enough_and_labelled(eval_rows: dict[str, list[dict]]) -> None:
    for rows in eval_rows.values():
        assert len(rows) >= 150
        assert {r["label"] for r in rows} == {
            "location",
            "character",
            "atmosphere",
            "object",
            "action",
            "none",
        }
        assert {r["split"] for r in rows} == {"dev", "test", "fresh"}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("split", ["all", "test"])
def test_location_and_character_quality(language: str, split: str) -> None:
    result = eval_nlp.evaluate(language, split)
    for kind in ("location", "character"):
        assert result[kind]["precision"] >= 0.7, (kind, result[kind])
        assert result[kind]["recall"] >= 0.5, (kind, result[kind])


@pytest.mark.parametrize("language", ["en", "ru"])
def test_other_types_are_useful(language: str) -> None:
    result = eval_nlp.evaluate(language, "all")
    for kind in ("atmosphere", "object", "action"):
        assert result[kind]["precision"] >= 0.6, (kind, result[kind])
        assert result[kind]["recall"] >= 0.4, (kind, result[kind])
