"""KOReader's partial MD5, with vectors derived by hand from the algorithm (util.partialMD5)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bookreader.domain.kosync.digest import OFFSETS, filename_md5, key_of, partial_md5, partial_md5_file


def _bytes(size: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


def test_offsets_follow_luajit_shift_semantics() -> None:
    # i = -1: LuaJIT masks the shift count to 5 bits (-2 & 31 = 30); 1024 << 30 overflows 32 bits to 0
    assert (1024 << ((-2) & 31)) & 0xFFFFFFFF == 0
    assert OFFSETS == (
        0,
        1024,
        4096,
        16384,
        65536,
        262144,
        1 << 20,
        1 << 22,
        1 << 24,
        1 << 26,
        1 << 28,
        1 << 30,
    )


def test_known_vectors() -> None:
    assert partial_md5(b"") == "d41d8cd98f00b204e9800998ecf8427e"  # first read is empty: md5 of nothing
    small = b"hello world"
    assert partial_md5(small) == hashlib.md5(small).hexdigest()  # one short read at 0, nothing at 1 K
    exact = _bytes(1024)
    assert partial_md5(exact) == hashlib.md5(exact).hexdigest()  # a read at 1 K = EOF stops
    data = _bytes(5000)  # reads: [0,1024) [1024,2048) [4096,5000) then 16 K is past the end
    assert partial_md5(data) == hashlib.md5(data[:2048] + data[4096:5000]).hexdigest()
    data = _bytes(66000)  # 0, 1 K, 4 K, 16 K, 64 K (short: 464 bytes), then 256 K is past the end
    expected = data[0:2048] + data[4096:5120] + data[16384:17408] + data[65536:66000]
    assert partial_md5(data) == hashlib.md5(expected).hexdigest()
    assert partial_md5(data) != partial_md5(data[:65999])
    assert partial_md5(data[:30000] + b"x" + data[30001:]) == partial_md5(
        data
    )  # unsampled bytes do not count


def test_file_variant_reads_the_same_samples(tmp_path: Path) -> None:
    for size in (0, 100, 1024, 4097, 300_000):
        path = tmp_path / f"{size}.epub"
        data = _bytes(size)
        path.write_bytes(data)
        assert partial_md5_file(path) == partial_md5(data)


def test_filename_and_key() -> None:
    assert filename_md5("/mnt/onboard/Books/Alice.epub") == hashlib.md5(b"Alice.epub").hexdigest()
    assert filename_md5("Alice.epub") == filename_md5("C:\\books\\Alice.epub")
    assert key_of("secret") == "5ebe2294ecd0e0f08eab7690d2a6ee69"
