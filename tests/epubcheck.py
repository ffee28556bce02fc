"""Debian's epubcheck (`just test` installs it: the `epubcheck` recipe), run on a file; its JSON report."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

JAR = Path("/usr/share/java/epubcheck.jar")
JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")  # a short run: start fast rather than peak


@dataclass
class Report:
    errors: list[str]  # FATAL and ERROR messages
    warnings: list[str]
    version: str

    def __str__(self) -> str:
        return "\n".join(self.errors + self.warnings) or "clean"


def require_epubcheck() -> None:
    if not JAR.is_file() or shutil.which("java") is None:
        pytest.skip("needs Debian's epubcheck: `just epubcheck` (or apt-get install -y epubcheck)")


def _message(item: dict) -> str:
    where = (item.get("locations") or [{}])[0]
    place = f"{where.get('path', '')}:{where.get('line', '')}" if where else ""
    return f"{item.get('severity')} {item.get('ID')} {place} {item.get('message')}"


def epubcheck(path: Path) -> Report:
    require_epubcheck()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        subprocess.run(
            ["java", *JVM_FLAGS, "-jar", str(JAR), str(path), "--json", str(out)],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip
        report = json.loads(out.read_text())
    messages = report.get("messages", [])
    errors = [_message(m) for m in messages if m.get("severity") in ("FATAL", "ERROR")]
    warnings = [_message(m) for m in messages if m.get("severity") == "WARNING"]
    return Report(errors, warnings, report.get("checker", {}).get("checkerVersion", ""))
