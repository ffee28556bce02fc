"""Which languages have a pipeline and which shipped model analysed a book: plain files, no spaCy, so the API
process (re-analysis queueing, admin figures) can answer without loading the NLP stack."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

SUPPORTED = ("en", "ru")
MODELS = resources.files(__package__).joinpath("models")


def model_version(language: str) -> str:
    """Identifies the shipped model + calibration (stored with each analysis; re-analysis compares it):
    "<lang>-<generation>-<model digest>"; "none" for a language without a pipeline."""
    if language not in SUPPORTED:
        return "none"
    path = Path(str(MODELS.joinpath(language, "calibration.json")))
    return json.loads(path.read_text("utf-8")).get("version", "rules") if path.is_file() else "rules"


def version_generation(version: str | None) -> int:
    """ "en-3-f8dcca1739c0" → 3: generations grow with every retrained model (training/train_nlp.py).
    Versions from before generations ("en-96eab14902d3", "rules", "") are generation 0."""
    parts = (version or "").split("-")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0
