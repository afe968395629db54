"""Every bad input gets a clear error, never a traceback (issue 9, section 3).

Two parts: a fuzz test that feeds every file reader random bytes, truncated real
files and real files with one array corrupted, and a table of bad command lines,
each with its exit status and message.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blocksim_lstm import LSTMParams
from blocksim_lstm._validate import (
    ArgumentTypeError,
    as_array,
    check_memory,
    check_positive_int,
    format_bytes,
)
from blocksim_lstm.cli import main
from blocksim_lstm.cli._problem import load_input
from blocksim_lstm.statespace.lti import (
    load_system,
    save_system,
    seed_plant,
    state_space,
)
from blocksim_lstm.training import check_data, load_data

# ---------------------------------------------------------------- fixtures


def _npz(**arrays: object) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def _npy(a: object) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)  # type: ignore[arg-type]
    return buf.getvalue()


WEIGHTS = LSTMParams.random(3, 4, 2, seed=0).arrays()
_sys = seed_plant()
SYSTEM = {"A": _sys.A, "B": _sys.B, "C": _sys.C, "D": _sys.D, "Ts": 0.01}
_rng = np.random.default_rng(7)
INPUT = _rng.standard_normal((20, 4))
DATA = {"u": _rng.standard_normal((30, 1)), "y": _rng.standard_normal((30, 1))}
DATA_PARAMS = LSTMParams.random(2, 1, 1, seed=0)


def _read_weights(path: Path) -> object:
    return LSTMParams.load(path, what="--weights")


def _read_system(path: Path) -> object:
    return load_system(path, what="--system")


def _read_input(path: Path) -> object:
    return load_input(path, 4, what="--input")


def _read_data(path: Path) -> object:
    u, y = load_data(path)
    return check_data(DATA_PARAMS, u, y)


# reader, the message prefixes it may use, a good file's bytes, its arrays
READERS = {
    "weights": (_read_weights, ("--weights",), _npz(**WEIGHTS), WEIGHTS),
    "system": (_read_system, ("--system",), _npz(**SYSTEM), SYSTEM),
    "input": (_read_input, ("--input",), _npy(INPUT), {"u": INPUT}),
    # the data loader belongs to training: file errors name "data", array
    # errors the array of the data file ("u", "y")
    "data": (_read_data, ("data", "u:", "y:"), _npz(**DATA), DATA),
}


def _outcome(kind: str, data: bytes) -> Exception | None:
    """Read ``data`` with one reader; the exception it raised, or None."""
    read, prefixes, _, _ = READERS[kind]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("f.npy" if kind == "input" else "f.npz")
        path.write_bytes(data)
        try:
            read(path)
        except Exception as exc:  # what we check: its type and its message
            assert isinstance(exc, (ValueError, FileNotFoundError)), repr(exc)
            assert not isinstance(exc, np.linalg.LinAlgError), repr(exc)
            assert str(exc).startswith(prefixes), str(exc)
            assert "\n" not in str(exc), str(exc)
            return exc
    return None


def test_good_files_are_read():
    for kind in READERS:
        assert _outcome(kind, READERS[kind][2]) is None, kind


FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(kind=st.sampled_from(sorted(READERS)), data=st.binary(max_size=3000))
def test_random_bytes_give_a_clean_error(kind, data):
    assert _outcome(kind, data) is not None


@FUZZ
@given(kind=st.sampled_from(sorted(READERS)), cut=st.floats(0.0, 0.999))
def test_truncated_files_give_a_clean_error(kind, cut):
    good = READERS[kind][2]
    assert _outcome(kind, good[: int(cut * len(good))]) is not None


@FUZZ
@given(
    kind=st.sampled_from(sorted(READERS)),
    where=st.floats(0.0, 0.999),
    flip=st.integers(1, 255),
)
def test_a_flipped_byte_never_leaks_another_exception(kind, where, flip):
    good = bytearray(READERS[kind][2])
    k = int(where * len(good))
    good[k] ^= flip
    _outcome(kind, bytes(good))  # may still read (a flipped mantissa bit)


def _corrupt(a: np.ndarray, how: str, rng: np.random.Generator) -> object:
    a = np.asarray(a, dtype=float)
    if how == "nan":
        b = a.copy().reshape(-1)
        if b.size == 0:
            return np.array([np.nan])
        b[rng.integers(b.size)] = rng.choice([np.nan, np.inf, -np.inf])
        return b.reshape(a.shape)
    if how == "complex":
        return a + 1j * rng.standard_normal(a.shape)
    if how == "bool":
        return a > 0
    if how == "text":
        return a.astype(str)
    if how == "shape":
        return rng.standard_normal(tuple(int(n) + 1 for n in a.shape) or (2,))
    if how == "3d":
        return np.zeros((2, 2, 2, 2))
    raise AssertionError(how)


@FUZZ
@given(
    kind=st.sampled_from(sorted(READERS)),
    how=st.sampled_from(["nan", "complex", "bool", "text", "shape", "3d"]),
    pick=st.integers(0, 10**6),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_corrupted_array_is_refused_and_named(kind, how, pick, seed):
    arrays = dict(READERS[kind][3])
    key = sorted(arrays)[pick % len(arrays)]
    if kind == "system" and key == "Ts" and how == "shape":
        how = "3d"
    arrays[key] = _corrupt(arrays[key], how, np.random.default_rng(seed))
    data = _npy(arrays["u"]) if kind == "input" else _npz(**arrays)
    exc = _outcome(kind, data)
    assert exc is not None, (kind, key, how)
    if kind in ("weights", "system") and how != "shape":
        # the file's key, in any case ("Ts" is the argument ts)
        assert f": {key.lower()}:" in str(exc).lower(), str(exc)


def test_a_header_promising_terabytes_is_refused_before_allocating(tmp_path):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 4)}
    )
    (tmp_path / "u.npy").write_bytes(buf.getvalue() + b"\0" * 64)
    with pytest.raises(ValueError, match=r"^--input: .* is truncated: its header"):
        load_input(tmp_path / "u.npy", 4)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.ones(3) + 1j, "x: expected real numbers, got complex numbers"),
        (np.ones(3) > 0, "x: expected real numbers, got booleans"),
        (np.array(["1.0", "2"]), "x: expected real numbers, got text"),
        (np.array([1.0, None]), "x: expected real numbers, got Python objects"),
        (None, "x: expected a numeric array, got None"),
        ([[1.0], [2.0, 3.0]], "x: expected a numeric array"),
        (np.array([1e300]), None),
    ],
)
def test_as_array_accepts_only_real_numbers(value, match):
    if match is None:  # finite in float64, too large for float32
        with pytest.raises(ValueError, match="too large for float32"):
            as_array("x", value, dtype=np.float32)
        return
    with pytest.raises(ValueError, match=match):
        as_array("x", value)


def test_as_array_keeps_integers_and_big_endian_floats():
    np.testing.assert_array_equal(as_array("x", np.arange(3)), [0.0, 1.0, 2.0])
    big = np.array([1.5, -2.0], dtype=">f8")
    out = as_array("x", big)
    assert out.dtype == np.float64 and out.tolist() == [1.5, -2.0]


def test_wrong_type_is_a_value_error_and_a_type_error():
    with pytest.raises(ArgumentTypeError) as info:
        check_positive_int("--steps", 2.5)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    assert str(info.value) == "--steps: expected an integer >= 1, got 2.5"


def test_check_memory_names_the_size_it_would_need():
    check_memory("n", 1000.0, "a small array")
    with pytest.raises(ValueError, match=r"^n: 10 things would need about 909 TiB"):
        check_memory("n", 10**15, "10 things")
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(12) == "12 bytes"


# ---------------------------------------------------------------- the CLI table


def _files(tmp: Path) -> None:
    """Good and bad files for the command-line table."""
    np.savez(tmp / "w.npz", **WEIGHTS)
    np.save(tmp / "u.npy", INPUT[:10])
    save_system(seed_plant(), tmp / "sys.npz")
    good_w = (tmp / "w.npz").read_bytes()
    (tmp / "empty.npz").write_bytes(b"")
    (tmp / "trunc.npz").write_bytes(good_w[: len(good_w) // 2])
    bad = bytearray(good_w)
    for k in range(len(bad) // 2, len(bad) // 2 + 16):
        bad[k] ^= 0xFF
    (tmp / "corrupt.npz").write_bytes(bytes(bad))
    np.savez(tmp / "wc.npz", **{**WEIGHTS, "W": WEIGHTS["W"] + 0.5j})
    np.save(tmp / "uc.npy", INPUT[:10] + 1j)
    np.save(tmp / "ub.npy", INPUT[:10] > 0)
    np.savez(tmp / "pole1.npz", A=[[1.0]], B=[[1.0]], C=[[1.0]], D=[[0.0]], Ts=1.0)
    np.savez(tmp / "b0.npz", **{**SYSTEM, "B": np.zeros((4, 1))})
    np.savez(tmp / "sysc.npz", **{**SYSTEM, "A": SYSTEM["A"] * (1 + 1e-3j)})
    with zipfile.ZipFile(tmp / "notnpy.npz", "w") as z:  # W is not an array
        for k, v in WEIGHTS.items():
            z.writestr(f"{k}.npy", b"not an array" if k == "W" else _npy(v))
    (tmp / "a_file").write_text("a user's file\n")
    (tmp / "a_folder").mkdir()


BIG = str(10**12)
CASES = [
    # unreadable files, for every file option
    (
        ["simulate", "--weights", "empty.npz"],
        r"--weights: empty\.npz is not a readable \.npz file \(EOFError\)",
    ),
    (
        ["simulate", "--weights", "trunc.npz"],
        r"--weights: trunc\.npz is not a readable \.npz",
    ),
    (
        ["crosscheck", "--weights", "corrupt.npz"],
        r"--weights: corrupt\.npz is not a readable \.npz",
    ),
    (
        ["graph", "--weights", "notnpy.npz"],
        r"--weights: notnpy\.npz: W: expected real numbers, got bytes",
    ),
    (
        ["simulate", "--weights", "u.npy"],
        r"--weights: u\.npy is a single \.npy array, not an \.npz",
    ),
    (["simulate", "--weights", "missing.npz"], r"--weights: no such file missing\.npz"),
    (["simulate", "--input", "empty.npz"], r"--input: empty\.npz is not an \.npy file"),
    (
        ["simulate", "--input", "w.npz"],
        r"--input: w\.npz is an \.npz archive, not a single array",
    ),
    (
        ["simulate", "--input", "a_folder"],
        r"--input: expected an \.npy .*, got the folder a_folder",
    ),
    (
        ["approximate", "--system", "empty.npz"],
        r"--system: empty\.npz is not a readable \.npz",
    ),
    (
        ["approximate", "--system", "trunc.npz"],
        r"--system: trunc\.npz is not a readable \.npz",
    ),
    # arrays that are not real numbers
    (
        ["simulate", "--weights", "wc.npz"],
        r"--weights: wc\.npz: W: expected real numbers, got complex",
    ),
    (
        ["simulate", "--input", "uc.npy"],
        r"--input: uc\.npy: expected real numbers, got complex",
    ),
    (
        ["simulate", "--input", "ub.npy"],
        r"--input: ub\.npy: expected real numbers, got booleans",
    ),
    (
        ["approximate", "--system", "sysc.npz"],
        r"--system: sysc\.npz: A: expected real numbers, got complex",
    ),
    # sizes and values
    (["simulate", "--steps", "0"], r"--steps: expected an integer >= 1, got 0$"),
    (
        ["simulate", "--steps", BIG],
        r"--steps: recording every wire .* would need about [\d.]+ PiB of memory",
    ),
    (
        ["graph", "--steps", BIG],
        r"--steps: an input of 1000000000000 x 4 would need about 29.1 TiB",
    ),
    (
        ["crosscheck", "--nn", BIG],
        r"--nn: weights of Nn=1000000000000, .* would need about",
    ),
    (["simulate", "--ts", "1e-20"], r"--ts: expected a sample time >= 1e-09 s"),
    (
        ["simulate", "--ts", "1e300", "--steps", "1000"],
        r"--ts: expected steps \* ts <= 1e\+300",
    ),
    (["simulate", "--ts", "nan"], r"--ts: expected finite values, got nan"),
    (["simulate", "--seed", "-1"], r"--seed: expected an integer >= 0, got -1$"),
    (
        ["simulate", "--weights", "w.npz", "--nn", "4"],
        r"--nn: --weights w\.npz gives nn = 3, got 4",
    ),
    (
        ["crosscheck", "--rel-tol", "-1"],
        r"--rel-tol: expected a finite number >= 0, got -1",
    ),
    (["approximate", "--steps", "0"], r"--steps: expected an integer >= 1, got 0$"),
    (
        ["approximate", "--steps", BIG],
        r"--steps: the approximation study on .* would need about",
    ),
    (
        ["approximate", "--nx", BIG],
        r"--nx/--nu/--ny: a system of nx=1000000000000, .* would need",
    ),
    (
        ["approximate", "--nx", "2", "--seed", "-1"],
        r"--seed: expected an integer >= 0, got -1$",
    ),
    (
        ["approximate", "--nx", "2", "--origin-poles", "3"],
        r"--origin-poles: expected 0\.\.2",
    ),
    (
        ["approximate", "--tol", "nan"],
        r"--tol: expected a positive finite number, got nan",
    ),
    (["params", "--units", "3", "0"], r"--units: expected an integer >= 1, got 0$"),
    (["params", "--plot", "p.pdf"], r"--plot: expected a file name ending in \.png"),
    (
        ["approximate", "--amplitude", "1e300", "--no-figures"],
        r"amplitude: the design input of amplitude 1e\+300 makes signals of size "
        r"[\d.e+]+, beyond 1e\+30",
    ),
    # systems that cannot be approximated, said plainly
    (
        ["approximate", "--system", "pole1.npz", "--realization", "given"],
        r"--system pole1\.npz: expected a stable system .* "
        r"a pole at z = 1 \(an integrator\)",
    ),
    (
        ["approximate", "--system", "b0.npz"],
        r"--system b0\.npz: the transfer function is identically zero: no state "
        r"is both reached by the input \(B\)",
    ),
    # outputs: checked before any work
    (
        ["simulate", "--weights", "w.npz", "--out", "w.npz"],
        r"--out: w\.npz is also the input --weights; writing it would overwrite",
    ),
    (
        ["approximate", "--system", "sys.npz", "--weights-out", "sys.npz"],
        r"--weights-out: sys\.npz is also the input --system",
    ),
    (
        ["approximate", "--weights-out", "w.txt"],
        r"--weights-out: expected a file name ending in \.npz",
    ),
    (["simulate", "--out", "a_file/x.npz"], r"--out: a_file is a file, not a folder"),
    (["simulate", "--out", "a_folder.npz"], None),  # made a folder below
    (
        ["simulate", "--out", "no/such/x.npz"],
        r"--out: the folder no/such does not exist",
    ),
    (
        ["params", "--plot", "a_file/p.png"],
        r"--plot: a_file is a file, not a folder",
    ),
    (
        ["approximate", "--out", "a_file"],
        r"--out: expected a folder, got the file a_file",
    ),
    (
        ["approximate", "--out", "a_file/figs"],
        r"--out: .*a_file is a file, not a folder",
    ),
    (["render", "--out", "a_file"], r"--out: expected a folder, got the file a_file"),
]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("argv", "match"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_command_line_gives_one_line_and_exit_2(in_tmp, capsys, argv, match):
    if match is None:
        (in_tmp / "a_folder.npz").mkdir()
        match = r"--out: expected a file name, got the existing folder a_folder\.npz"
    before = {p.name: p.read_bytes() for p in in_tmp.iterdir() if p.is_file()}
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err
    prefix = f"blocksim-lstm {argv[0]}: error: "
    assert err.startswith(prefix) and err.count("\n") == 1, err
    import re

    assert re.search(match, err[len(prefix) :]), err
    assert "Traceback" not in err and captured.out == ""  # refused before any work
    after = {p.name: p.read_bytes() for p in in_tmp.iterdir() if p.is_file()}
    assert after == before  # nothing written, nothing lost


def test_sys_is_refused_before_any_work(in_tmp, capsys):
    """/sys refuses even root: a real test write finds it before the run."""
    if not Path("/sys").is_dir():
        pytest.skip("no /sys")
    assert main(["simulate", "--out", "/sys/x.npz"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("blocksim-lstm simulate: error: --out: cannot write")


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), ".t.npz.tmp-123-abcdef")


def test_a_full_disk_is_one_line_naming_the_option(in_tmp, capsys, monkeypatch):
    import blocksim_lstm.cli.simulate as sim

    monkeypatch.setattr(sim, "savez_atomic", _enospc)
    assert main(["simulate", "--steps", "3", "--out", "t.npz"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "blocksim-lstm simulate: error: --out: cannot write t.npz: no space left "
        "on the disk\n"
    )


def test_an_os_error_without_an_option_names_the_file(in_tmp, capsys, monkeypatch):
    import blocksim_lstm.cli.crosscheck as cc

    def fail(args):
        raise PermissionError(errno.EACCES, "Permission denied", "x/.y.npz.tmp-9-ab")

    monkeypatch.setattr(cc, "run", fail)
    assert main(["crosscheck"]) == 2
    err = capsys.readouterr().err
    assert err == "blocksim-lstm crosscheck: error: x/y.npz: Permission denied\n"


def test_out_of_memory_is_one_line(in_tmp, capsys, monkeypatch):
    import blocksim_lstm.cli.graph as gr

    def fail(args):
        raise MemoryError("Unable to allocate 29.1 TiB")

    monkeypatch.setattr(gr, "run", fail)
    assert main(["graph"]) == 2
    assert capsys.readouterr().err == (
        "blocksim-lstm graph: error: out of memory (Unable to allocate 29.1 TiB); "
        "choose smaller sizes\n"
    )


def test_a_bug_keeps_its_traceback(monkeypatch):
    """A TypeError is a bug of ours, not bad input: it is not turned into a line."""
    import blocksim_lstm.cli.graph as gr

    def bug(args):
        return None + 1

    monkeypatch.setattr(gr, "run", bug)
    with pytest.raises(TypeError):
        main(["graph"])


def test_a_singular_matrix_inside_is_a_bug_not_bad_input(monkeypatch):
    """LinAlgError is a ValueError, but inputs are checked at the door."""
    import blocksim_lstm.cli.graph as gr

    def bug(args):
        return np.linalg.solve(np.zeros((2, 2)), np.ones(2))

    monkeypatch.setattr(gr, "run", bug)
    with pytest.raises(np.linalg.LinAlgError):
        main(["graph"])


def test_approximate_of_a_static_gain_says_what_it_is(in_tmp, capsys):
    np.savez(in_tmp / "st.npz", **{**SYSTEM, "B": np.zeros((4, 1)), "D": [[0.5]]})
    assert main(["approximate", "--system", "st.npz", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert "the system is a static gain D" in err and "--realization given" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--weights", "trunc.npz"],
        ["crosscheck", "--steps", BIG],
        ["approximate", "--system", "pole1.npz"],
    ],
)
def test_as_a_real_process_there_is_no_traceback(in_tmp, argv):
    proc = subprocess.run(
        [sys.executable, "-m", "blocksim_lstm", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=in_tmp,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"blocksim-lstm {argv[0]}: error: ")


def test_state_space_names_the_complex_matrix():
    with pytest.raises(ValueError, match="^C: expected real numbers, got complex"):
        state_space([[0.5]], [[1.0]], [[1.0 + 2j]])
