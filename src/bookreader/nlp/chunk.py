"""What one process-pool task returns for a batch of chapters (a plain Struct: the caller that merges the
chunks needs no spaCy)."""

from __future__ import annotations

import msgspec

from .characters import NameStat
from .model import FoundDescription


class ChunkAnalysis(msgspec.Struct):
    """What a worker process returns for a batch of chapters; merged by `merge_chunks`."""

    language: str
    descriptions: list[FoundDescription]
    names: dict[str, NameStat]
    lowercase: dict[str, int] = {}  # English: lower-case word counts (evidence against names)
    pid: int = 0  # the process that did the work (the job records it)
    model_version: str = "none"  # components.model_version of the pipeline that did it
