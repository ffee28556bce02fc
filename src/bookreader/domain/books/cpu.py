"""Parsing as it runs inside the worker's process pool: reads the file there, so only the result crosses."""

from __future__ import annotations

from pathlib import Path

from bookreader.ingest import IngestLimits, ParsedBook, parse_book


def parse_file(path: str, limits: IngestLimits, asset_base_url: str) -> ParsedBook:
    return parse_book(Path(path).read_bytes(), limits=limits, asset_base_url=asset_base_url)
