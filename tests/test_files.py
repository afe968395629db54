"""The shared file I/O: atomic writes and checked .npz reads."""

from __future__ import annotations

import numpy as np
import pytest

from blocksim_lstm._files import read_npz, savez_atomic, write_atomic


def test_write_atomic_text_and_bytes_leave_no_tmp(tmp_path):
    write_atomic(tmp_path / "a.txt", "héllo\n")
    write_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert not list(tmp_path.glob("*.tmp"))


def test_savez_round_trip_and_key_checks(tmp_path):
    path = savez_atomic(tmp_path / "x.npz", a=np.arange(3.0), b=np.eye(2))
    got = read_npz(path, "thing", ("a", "b"))
    np.testing.assert_array_equal(got["b"], np.eye(2))
    with pytest.raises(ValueError, match=r"thing: .* missing \['c'\]"):
        read_npz(path, "thing", ("a", "c"))
    with pytest.raises(ValueError, match=r"exactly .* unexpected \['b'\]"):
        read_npz(path, "thing", ("a",), exact=True)
    assert read_npz(path, "thing", ("a",))["a"].shape == (3,)


def test_read_npz_refuses_missing_garbage_and_pickles(tmp_path):
    with pytest.raises(FileNotFoundError, match="thing: no such file"):
        read_npz(tmp_path / "none.npz", "thing", ("a",))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        read_npz(tmp_path / "junk.npz", "thing", ("a",))
    np.savez(tmp_path / "p.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a readable .npz"):
        read_npz(tmp_path / "p.npz", "thing", ("a",))
