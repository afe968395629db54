"""Tests of the LSTMParams container: construction, checks, save/load."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from blocksim_lstm import NPZ_KEYS, LSTMParams


def _arrays(nn=3, ni=4, no=2):
    rng = np.random.default_rng(1)
    return {
        "W": rng.random((4 * nn, ni)),
        "R": rng.random((4 * nn, nn)),
        "b": rng.random(4 * nn),
        "F": rng.random((no, nn)),
        "bF": rng.random(no),
        "h0": rng.random(nn),
        "c0": rng.random(nn),
    }


def test_sizes_and_gate_blocks():
    a = _arrays()
    p = LSTMParams.from_arrays(**a)
    assert (p.nn, p.ni, p.no) == (3, 4, 2)
    np.testing.assert_array_equal(p.gate("W", "g"), a["W"][6:9])
    np.testing.assert_array_equal(p.gate("R", "o"), a["R"][9:12])
    np.testing.assert_array_equal(p.gate("b", "i"), a["b"][0:3])


@pytest.mark.parametrize(
    ("key", "bad", "match"),
    [
        ("W", np.zeros((12, 4, 1)), r"W: expected shape \(12, any\)"),
        ("W", np.zeros((11, 4)), r"W: expected shape \(12, any\).*got shape \(11, 4\)"),
        ("R", np.zeros((12, 4)), r"R: expected shape \(4Nn, Nn\)"),
        ("b", np.zeros(11), r"b: expected shape \(12,\).*got shape \(11,\)"),
        ("F", np.zeros((2, 4)), r"F: expected shape \(any, 3\).*got shape \(2, 4\)"),
        ("bF", np.zeros(3), r"bF: expected shape \(2,\), got shape \(3,\)"),
        ("h0", np.zeros(4), r"h0: expected shape \(3,\), got shape \(4,\)"),
        ("c0", np.zeros((3, 1)), r"c0: expected shape \(3,\), got shape \(3, 1\)"),
    ],
)
def test_wrong_shape_names_array_expected_and_received(key, bad, match):
    a = _arrays()
    a[key] = bad
    with pytest.raises(ValueError, match=match):
        LSTMParams.from_arrays(**a)


@pytest.mark.parametrize("key", NPZ_KEYS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_refused(key, value):
    a = _arrays()
    a[key] = a[key].copy()
    a[key].flat[0] = value
    with pytest.raises(ValueError, match=rf"{key}: expected finite values"):
        LSTMParams.from_arrays(**a)


def test_non_numeric_refused():
    a = _arrays()
    a["b"] = ["x"] * 12
    with pytest.raises(ValueError, match="b: expected real numbers, got text"):
        LSTMParams.from_arrays(**a)


def test_every_construction_is_checked_and_arrays_read_only():
    a = _arrays()
    direct = LSTMParams(*a.values())
    checked = LSTMParams.from_arrays(**a)
    for k in NPZ_KEYS:
        assert direct.arrays()[k].tobytes() == checked.arrays()[k].tobytes()
    bad = dict(a, R=np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"R: expected shape \(4Nn, Nn\)"):
        LSTMParams(*bad.values())
    p = LSTMParams.random()
    # dataclasses.replace goes through the constructor: checked too
    nan_w = np.full_like(p.W, np.nan)
    with pytest.raises(ValueError, match="W: expected finite values, got nan"):
        dataclasses.replace(p, W=nan_w)
    with pytest.raises(ValueError, match=r"h0: expected shape \(3,\)"):
        dataclasses.replace(p, h0=np.zeros(4))
    # a replaced array is copied: the caller's array stays writable and apart
    w = np.array(p.W)
    q = dataclasses.replace(p, W=w)
    w[0, 0] = 5.0
    assert q.W[0, 0] == p.W[0, 0]
    assert dataclasses.replace(p32 := LSTMParams.random(dtype="float32")).dtype == (
        p32.dtype
    )
    with pytest.raises(ValueError):
        p.W[0, 0] = 1.0


def test_random_is_seeded_byte_for_byte():
    p1, p2, p3 = (LSTMParams.random(seed=s) for s in (7, 7, 8))
    for k in NPZ_KEYS:
        assert p1.arrays()[k].tobytes() == p2.arrays()[k].tobytes()
    assert p1.W.tobytes() != p3.W.tobytes()
    assert np.all((p1.W >= 0) & (p1.W < 1))
    assert np.all(p1.bF == 0)


def test_random_sizes_checked():
    with pytest.raises(ValueError, match="nn: expected an integer >= 1, got 0"):
        LSTMParams.random(0, 1, 1)
    with pytest.raises(TypeError, match="ni: expected an integer"):
        LSTMParams.random(1, 2.5, 1)


def test_float32_on_request():
    p = LSTMParams.random(dtype="float32")
    assert all(a.dtype == np.float32 for a in p.arrays().values())
    with pytest.raises(ValueError, match="dtype: expected 'float64' or 'float32'"):
        LSTMParams.random(dtype="int32")


def test_save_load_round_trip_exact_keys(tmp_path):
    p = LSTMParams.random(4, 2, 3, seed=3)
    path = p.save(tmp_path / "w.npz")
    with np.load(path) as data:
        assert sorted(data.files) == sorted(NPZ_KEYS)
    q = LSTMParams.load(path)
    for k in NPZ_KEYS:
        np.testing.assert_array_equal(q.arrays()[k], p.arrays()[k])
    assert not list(tmp_path.glob("*.tmp"))


def test_load_refuses_wrong_keys(tmp_path):
    a = _arrays()
    a["Wx"] = a.pop("W")
    np.savez(tmp_path / "bad.npz", **a)
    with pytest.raises(ValueError, match=r"missing \['W'\], unexpected \['Wx'\]"):
        LSTMParams.load(tmp_path / "bad.npz")


def test_load_refuses_missing_and_garbage_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights: no such file"):
        LSTMParams.load(tmp_path / "none.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        LSTMParams.load(tmp_path / "junk.npz")


def test_save_wants_npz_suffix(tmp_path):
    with pytest.raises(ValueError, match="path: expected a file name ending in .npz"):
        LSTMParams.random().save(tmp_path / "w.txt")


def test_replace_checks_again():
    p = LSTMParams.random()
    q = p.replace(bF=[1.0, 2.0])
    np.testing.assert_array_equal(q.bF, [1.0, 2.0])
    with pytest.raises(ValueError, match="unknown array names"):
        p.replace(X=1)
    with pytest.raises(ValueError, match="bF: expected shape"):
        p.replace(bF=[1.0])


def test_load_names_the_role_then_the_array(tmp_path):
    path = tmp_path / "w.npz"
    a = _arrays()
    a["R"] = np.asarray(a["R"]) > 0.5  # booleans are not weights
    np.savez(path, **a)
    with pytest.raises(ValueError, match=r"^--weights: .*w\.npz: R: expected real"):
        LSTMParams.load(path, what="--weights")
    with pytest.raises(ValueError, match=r"^weights: .*w\.npz: R: expected real"):
        LSTMParams.load(path)
