"""Settings: the generated development secret, production refusing defaults and placeholders."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from bookreader.settings import DEFAULT_SECRET_KEY, SettingsError, load_settings

K8S_SECRET = Path(__file__).resolve().parents[3] / "config" / "k8s" / "secret.yaml"


def test_development_secret_is_random_per_install_and_kept(tmp_path: Path) -> None:
    first = load_settings({"BOOKREADER_DATA_DIR": str(tmp_path / "a")})
    again = load_settings({"BOOKREADER_DATA_DIR": str(tmp_path / "a")})
    other = load_settings({"BOOKREADER_DATA_DIR": str(tmp_path / "b")})
    assert first.secret_key == again.secret_key  # tokens survive a restart
    assert first.secret_key != other.secret_key  # but no two installs share a key
    assert first.secret_key != DEFAULT_SECRET_KEY and len(first.secret_key) >= 32
    key_file = Path(first.secret_key_file or "")
    assert key_file.read_text() == first.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_explicit_secret_is_used_as_is(tmp_path: Path) -> None:
    settings = load_settings({"BOOKREADER_DATA_DIR": str(tmp_path), "BOOKREADER_SECRET_KEY": "k" * 40})
    assert settings.secret_key == "k" * 40 and settings.secret_key_file is None
    assert not (tmp_path / "secret_key").exists()


def _k8s_placeholder() -> str:
    match = re.search(r'BOOKREADER_SECRET_KEY:\s*"([^"]+)"', K8S_SECRET.read_text())
    assert match, "config/k8s/secret.yaml names BOOKREADER_SECRET_KEY"
    return match.group(1)


@pytest.mark.parametrize("secret", [None, DEFAULT_SECRET_KEY, "short", "CHANGEME" * 8, "k8s"])
def test_production_refuses_missing_default_and_placeholder_secrets(tmp_path: Path, secret) -> None:
    env = {"BOOKREADER_ENV": "production", "BOOKREADER_DATA_DIR": str(tmp_path)}
    if secret is not None:
        env["BOOKREADER_SECRET_KEY"] = _k8s_placeholder() if secret == "k8s" else secret
    with pytest.raises(SettingsError, match="BOOKREADER_SECRET_KEY"):
        load_settings(env)
    assert not (tmp_path / "secret_key").exists()  # production never generates one


def test_production_accepts_a_real_secret(tmp_path: Path) -> None:
    env = {
        "BOOKREADER_ENV": "production",
        "BOOKREADER_SECRET_KEY": "9f" * 32,
        "BOOKREADER_DATA_DIR": str(tmp_path),
    }
    assert load_settings(env).env == "production"


@pytest.mark.parametrize("spec", ["auto", "all", "1", "1-3,5"])
def test_the_pool_cpus_take_auto_all_or_a_cpu_list(tmp_path: Path, spec: str) -> None:
    env = {"BOOKREADER_DATA_DIR": str(tmp_path), "BOOKREADER_PROCESS_POOL_CPUS": spec}
    assert load_settings(env).process_pool_cpus == spec


@pytest.mark.parametrize("spec", ["", "some", "3-1", "1,x", "-2"])
def test_a_wrong_pool_cpu_list_is_refused_at_start(tmp_path: Path, spec: str) -> None:
    with pytest.raises(SettingsError, match="BOOKREADER_PROCESS_POOL_CPUS"):
        load_settings({"BOOKREADER_DATA_DIR": str(tmp_path), "BOOKREADER_PROCESS_POOL_CPUS": spec})
