"""Imported by the process pool's fork server (core/procpool.py): spaCy is loaded and the pipelines are built
once there, and every pool child forks with them ready, instead of each child importing spaCy and building
both pipelines itself (seconds of CPU per child, again after every pool reset)."""

from __future__ import annotations

import contextlib
import os

# before numpy loads: one BLAS thread per process, as in a child
os.environ.setdefault("OMP_NUM_THREADS", "1")

from bookreader.nlp import warm_up

# a failure here must not take the fork server down: each child's own warm_up (procpool) meets it and reports
with contextlib.suppress(Exception):
    warm_up()
