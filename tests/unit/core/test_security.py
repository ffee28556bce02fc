"""argon2's memory cost comes from the settings; stored hashes keep verifying whatever the current cost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bookreader.core import security
from bookreader.settings import SettingsError, load_settings

SHIPPED = 65536


@pytest.fixture(autouse=True)
def restore_cost() -> Iterator[None]:
    yield
    security.configure_password_hashing(SHIPPED)


def test_new_hashes_take_the_configured_cost_and_old_ones_still_verify() -> None:
    shipped = security.hash_password("correct horse 1")
    assert "m=65536" in shipped
    security.configure_password_hashing(1024)
    small = security.hash_password("correct horse 1")
    assert "m=1024" in small
    assert security.verify_password(shipped, "correct horse 1")  # made at the other cost
    assert security.verify_password(small, "correct horse 1")
    assert not security.verify_password(small, "wrong password")
    assert not security.verify_password(None, "correct horse 1")  # unknown account: the dummy hash


def test_the_cost_has_a_floor(tmp_path) -> None:
    base = {"BOOKREADER_DATA_DIR": str(tmp_path), "BOOKREADER_SECRET_KEY": "k" * 16 + "0123456789abcdef" * 2}
    assert load_settings(base).password_hash_memory_kib == SHIPPED
    with pytest.raises(SettingsError, match="BOOKREADER_PASSWORD_HASH_MEMORY_KIB"):
        load_settings({**base, "BOOKREADER_PASSWORD_HASH_MEMORY_KIB": "64"})
