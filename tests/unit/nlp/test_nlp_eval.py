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


# Floors a little under what `just eval-nlp` measured on the corpus' test split with the shipped models
# (en-3 / ru-3, on the enlarged test split of 1,587 / 1,065 sentences; top-3 0.72 / 0.97 with the fitted ranker):
# a change that makes the passages worse
# fails here. Issue 11's goals (top-3 ≥ 0.85, location and character P ≥ 0.75 / R ≥ 0.6) are not all met yet —
# see nlp-corpus/README.md for the measured table.
FLOORS = {"painterly_f1": 0.5, "top3": 0.7, "precision": 0.42, "recall": 0.3, "atmosphere_recall": 0.35}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_test_split_quality_does_not_regress(language: str) -> None:
    result = eval_nlp.evaluate(language, "test", "both")
    assert result["painterly"]["f1"] >= FLOORS["painterly_f1"], result["painterly"]
    for kind in ("location", "character"):
        assert result[kind]["precision"] >= FLOORS["precision"], (kind, result[kind])
        assert result[kind]["recall"] >= FLOORS["recall"], (kind, result[kind])
    assert result["atmosphere"]["recall"] >= FLOORS["atmosphere_recall"], result["atmosphere"]
    assert eval_nlp.passages(language, "test", "both")["top3"] >= FLOORS["top3"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_combination_beats_the_rules_alone(language: str) -> None:
    rules = eval_nlp.evaluate(language, "test", "rules")
    both = eval_nlp.evaluate(language, "test", "both")
    assert both["painterly"]["precision"] > rules["painterly"]["precision"]
    assert both["character"]["f1"] > rules["character"]["f1"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_confidence_is_calibrated_on_dev(language: str) -> None:
    """The calibration was fitted on dev: there, passages at ≥ 0.8 are right ≥ 80 % of the time."""
    result = eval_nlp.passages(language, "dev", "both")
    assert result["confident_n"] >= 3
    assert result["calibrated"] >= 0.8, result
