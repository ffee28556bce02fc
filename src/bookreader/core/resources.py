"""The folders the package ships beside its code: the web UI (`static/`) and the SQL migrations (`migrations/`).

In the repository they stay top-level folders; setup.py maps them into the package as `bookreader.static` and
`bookreader.migrations`, so a wheel carries them and an editable install finds them where they are. Either way
they are found through the import system, never by counting parent folders.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_folder(package: str) -> Path:
    """The folder of a data package on disk (Litestar and Piccolo want real paths, not a zip's entries)."""
    folder = resources.files(package)
    if not isinstance(folder, Path):
        raise RuntimeError(f"{package} is not on the file system ({folder!r}): install bookreader unzipped")
    return folder


def static_dir() -> Path:
    return package_folder("bookreader.static")


def migrations_dir() -> Path:
    return package_folder("bookreader.migrations")
