"""The shared file I/O: atomic writes, claimed folders, exchange swaps, checked reads.

Faults are injected for real: a child process is killed (SIGKILL) in the middle of
a write or between the steps of a folder swap, and the path must hold the old or
the new content afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blocksim_lstm._files import (
    MARKER,
    OutputRefusedError,
    check_output_file,
    claim_folder,
    folder_kind,
    mark_folder,
    read_npz,
    remove_stale_temporaries,
    savez_atomic,
    swap_folder,
    temporary_name,
    write_atomic,
)


def _ours(tmp_path):
    return [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_write_atomic_text_and_bytes_leave_no_tmp(tmp_path):
    write_atomic(tmp_path / "a.txt", "héllo\n")
    write_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert _ours(tmp_path) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_tmp(tmp_path):
    target = tmp_path / "w.npz"
    savez_atomic(target, a=np.arange(3.0))
    before = target.read_bytes()

    class Boom:
        def __array__(self, *a, **k):
            raise KeyboardInterrupt  # Ctrl-C while numpy writes

    with pytest.raises(KeyboardInterrupt):
        savez_atomic(target, a=Boom())
    assert target.read_bytes() == before
    assert _ours(tmp_path) == []


_KILL_MID_WRITE = textwrap.dedent(
    """
    import os, signal, sys
    import blocksim_lstm._files as F
    real = os.replace
    def die(src, dst):  # the temporary is complete, the rename never happens
        os.kill(os.getpid(), signal.SIGKILL)
    os.replace = die
    F.write_atomic(sys.argv[1], "new content " * 10000)
    """
)


def test_kill_9_mid_write_keeps_the_old_file_and_the_next_run_cleans_up(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("the user's old content")
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_MID_WRITE, str(target)], capture_output=True
    )
    assert proc.returncode == -signal.SIGKILL
    assert target.read_text() == "the user's old content"
    stale = _ours(tmp_path)
    assert len(stale) == 1 and stale[0].startswith(".notes.txt.tmp-")
    user_file = tmp_path / ".hidden.tmp-notours"  # not our pattern: kept
    user_file.write_text("x")
    removed = remove_stale_temporaries(tmp_path)
    assert [p.name for p in removed] == stale
    assert _ours(tmp_path) == [user_file.name]


def test_temporaries_of_a_live_process_are_kept(tmp_path):
    mine = temporary_name(tmp_path / "x.npz")
    mine.write_text("in progress")
    assert remove_stale_temporaries(tmp_path) == []
    assert mine.exists()


def test_check_output_file_refuses_inputs_folders_and_missing_places(tmp_path):
    w = tmp_path / "w.npz"
    w.write_bytes(b"weights")
    with pytest.raises(
        OutputRefusedError, match=r"--out: .* is also the input --weights"
    ):
        check_output_file(w, "--out", inputs=[("--weights", w)])
    link = tmp_path / "link.npz"
    link.symlink_to(w)
    with pytest.raises(OutputRefusedError, match="also the input --weights"):
        check_output_file(link, "--out", inputs=[("--weights", w)])
    with pytest.raises(OutputRefusedError, match="existing folder"):
        check_output_file(tmp_path, "--out")
    with pytest.raises(OutputRefusedError, match="does not exist"):
        check_output_file(tmp_path / "no" / "x.npz", "--out")
    with pytest.raises(OutputRefusedError, match="is a file, not a folder"):
        check_output_file(w / "x.npz", "--out")
    assert check_output_file(tmp_path / "new.npz", "--out", inputs=[("--w", None)])
    assert w.read_bytes() == b"weights"


def test_claim_folder_refuses_a_users_folder_and_keeps_every_file(tmp_path):
    user = tmp_path / "thesis"
    (user / "sub").mkdir(parents=True)
    (user / "thesis.txt").write_text("years of work")
    (user / "sub" / "data.csv").write_text("1,2")
    with pytest.raises(OutputRefusedError, match=r"--out: .* did not write.*--force"):
        claim_folder(user, "--out", kind="report")
    assert (user / "thesis.txt").read_text() == "years of work"
    assert claim_folder(user, "--out", kind="report", force=True) == user
    # a folder of ours: accepted for the same kind, refused for another
    ours = claim_folder(tmp_path / "a" / "b", "--out", kind="report")
    assert ours.is_dir()
    (ours / "report.md").write_text("x")
    mark_folder(ours, "report")
    assert folder_kind(ours) == "report"
    claim_folder(ours, "--out", kind="report")
    with pytest.raises(OutputRefusedError, match="already holds a report"):
        claim_folder(ours, "--out", kind="train")
    with pytest.raises(OutputRefusedError, match="already holds a report"):
        claim_folder(ours, "--out", kind="report", allow_ours=False)
    # an empty folder, or one holding only a dead temporary of ours, is free
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".x.tmp-999999999").write_text("stale")
    claim_folder(empty, "--out", kind="train")
    with pytest.raises(OutputRefusedError, match="expected a folder, got the file"):
        claim_folder(user / "thesis.txt", "--out", kind="report")


def test_claim_folder_refuses_the_current_folder_with_files(tmp_path, monkeypatch):
    (tmp_path / "mine.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputRefusedError, match="'.' is a folder that holds"):
        claim_folder(".", "--out", kind="report")


_KILL_MID_SWAP = textwrap.dedent(
    """
    import os, signal, sys, pathlib
    import blocksim_lstm._files as F
    new, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    when = sys.argv[3]
    real_rmtree = F.shutil.rmtree
    def die(*a, **k):  # after the exchange, before the old folder is removed
        os.kill(os.getpid(), signal.SIGKILL)
    if when == "after-exchange":
        F.shutil.rmtree = die
    if when == "between-renames":  # a rename dance would leave no folder here
        calls = []
        real_rename = os.rename
        def rename(a, b):
            calls.append(a)
            if len(calls) == 2:
                die()
            real_rename(a, b)
        F.os.rename = rename
    F.swap_folder(new, target)
    """
)


@pytest.mark.parametrize("when", ["after-exchange", "between-renames", "never"])
def test_swap_folder_kill_9_leaves_old_or_new_at_the_path(tmp_path, when):
    target, new = tmp_path / "report", tmp_path / ".report.tmp-1-ab"
    target.mkdir()
    (target / "report.md").write_text("old")
    new.mkdir()
    (new / "report.md").write_text("new")
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_MID_SWAP, str(new), str(target), when],
        capture_output=True,
    )
    assert (target / "report.md").read_text() == "new", proc.stderr
    if when == "after-exchange":
        assert proc.returncode == -signal.SIGKILL
        assert (new / "report.md").read_text() == "old"  # left for the cleanup
    else:  # the exchange is one system call: nothing to interrupt in between
        assert proc.returncode == 0 and not new.exists()


def test_swap_folder_into_a_missing_path(tmp_path):
    new = tmp_path / "n"
    new.mkdir()
    (new / "f").write_text("1")
    swap_folder(new, tmp_path / "t")
    assert (tmp_path / "t" / "f").read_text() == "1" and not new.exists()


def test_savez_round_trip_and_key_checks(tmp_path):
    path = savez_atomic(tmp_path / "x.npz", a=np.arange(3.0), b=np.eye(2))
    got = read_npz(path, "thing", ("a", "b"))
    np.testing.assert_array_equal(got["b"], np.eye(2))
    with pytest.raises(ValueError, match=r"thing: .* missing \['c'\]"):
        read_npz(path, "thing", ("a", "c"))
    with pytest.raises(ValueError, match=r"exactly .* unexpected \['b'\]"):
        read_npz(path, "thing", ("a",), exact=True)
    assert read_npz(path, "thing", ("a",))["a"].shape == (3,)


def test_read_npz_refuses_missing_garbage_npy_and_pickles(tmp_path):
    with pytest.raises(FileNotFoundError, match="thing: no such file"):
        read_npz(tmp_path / "none.npz", "thing", ("a",))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        read_npz(tmp_path / "junk.npz", "thing", ("a",))
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="thing: .* not a readable .npz"):
        read_npz(tmp_path / "empty.npz", "thing", ("a",))
    np.save(tmp_path / "u.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single .npy array, not an .npz"):
        read_npz(tmp_path / "u.npy", "thing", ("a",))
    np.savez(tmp_path / "p.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a readable .npz"):
        read_npz(tmp_path / "p.npz", "thing", ("a",))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_read_npz_never_raises_anything_but_a_clear_error(tmp_path, data):
    """Random bytes, truncations and one corrupted byte of a real file."""
    real = tmp_path / "real.npz"
    savez_atomic(real, a=np.arange(40.0), b=np.eye(3))
    raw = real.read_bytes()
    how = data.draw(st.sampled_from(["random", "truncated", "flipped"]))
    if how == "random":
        blob = data.draw(st.binary(max_size=400))
    elif how == "truncated":
        blob = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        k = data.draw(st.integers(0, len(raw) - 1))
        blob = raw[:k] + bytes([raw[k] ^ data.draw(st.integers(1, 255))]) + raw[k + 1 :]
    bad = tmp_path / "bad.npz"
    bad.write_bytes(blob)
    try:
        got = read_npz(bad, "weights", ("a", "b"))
    except ValueError as exc:
        assert str(exc).startswith("weights: ")
    else:  # a flip in a part zip does not check (e.g. a name's padding)
        assert set(got) == {"a", "b"}


def test_zip_with_a_corrupt_member_names_the_role(tmp_path):
    path = tmp_path / "c.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.npy", b"\x93NUMPY garbage")
    with pytest.raises(ValueError, match="^weights: .* not a readable .npz"):
        read_npz(path, "weights", ("a",))


def test_marker_is_json_with_the_kind(tmp_path):
    mark_folder(tmp_path, "sweep")
    assert (tmp_path / MARKER).read_text() == '{"kind": "sweep"}\n'
    (tmp_path / MARKER).write_text("garbage")
    assert folder_kind(tmp_path) is None
    assert os.path.exists(tmp_path / MARKER)
