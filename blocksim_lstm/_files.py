"""File I/O shared by the package: nothing a user made is ever lost.

- Every file the package writes goes through a temporary name of ours
  (``.NAME.tmp-PID-XXXXXX`` beside it), is flushed to disk and renamed into place
  (:func:`write_atomic`, :func:`savez_atomic`, :func:`atomic_target`), so at every
  instant of a crash the path holds the old or the new file. A temporary of ours
  left by a killed process is removed by :func:`remove_stale_temporaries` once
  that process is gone; nothing else is ever deleted.
- A folder that a command fills is claimed first (:func:`claim_folder`): a folder
  that holds files we did not write is refused unless the user says ``--force``.
  Folders we write carry a marker file (:data:`MARKER`) naming what they hold.
- A whole folder is replaced by an exchange rename (:func:`swap_folder`): there
  is no instant at which the path holds neither the old nor the new folder.
- An output path is checked before any work (:func:`check_output_file`): not an
  existing folder, in an existing writable folder, and not one of the inputs.
- ``.npz`` files are read with errors that name the file's role
  (:func:`read_npz`), never a traceback from ``zipfile`` or ``numpy``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MARKER",
    "OutputRefusedError",
    "atomic_target",
    "check_output_file",
    "claim_folder",
    "folder_kind",
    "mark_folder",
    "read_npz",
    "remove_stale_temporaries",
    "savez_atomic",
    "swap_folder",
    "temporary_name",
    "write_atomic",
]

MARKER = ".blocksim-lstm.json"
"""Marker file in every folder the package fills: ``{"kind": ...}``."""

_TMP = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)(?:-[0-9a-f]+)?$")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2

PathLike = str | os.PathLike[str]


class OutputRefusedError(ValueError):
    """An output path that would overwrite or delete something not ours."""


# ---------------------------------------------------------------- temporaries


def cache_folder() -> Path:
    """The user's cache folder of generated code and compiled-kernel marks.

    ``$BLOCKSIM_LSTM_CACHE`` if set, else ``$XDG_CACHE_HOME/blocksim_lstm/compiled``
    (``~/.cache/...`` without ``XDG_CACHE_HOME``).
    """
    base = os.environ.get("BLOCKSIM_LSTM_CACHE")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "blocksim_lstm" / "compiled"


def temporary_name(path: PathLike) -> Path:
    """A fresh temporary path of ours beside ``path`` (same folder, same disk)."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(3)}")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def remove_stale_temporaries(folder: PathLike) -> list[Path]:
    """Remove the temporaries of ours in ``folder`` whose process has died.

    Only names of the form ``.NAME.tmp-PID[-HEX]`` (what :func:`temporary_name`
    makes) are touched, and only when no process ``PID`` is alive.

    Returns
    -------
    list of Path
        What was removed.
    """
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in sorted(folder.iterdir()):
        m = _TMP.match(entry.name)
        if m is None or _pid_alive(int(m["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
        removed.append(entry)
    return removed


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_target(path: PathLike) -> Iterator[Path]:
    """Context manager: write to the yielded temporary path, renamed on success.

    The temporary is removed if the block raises (including Ctrl-C); the target
    is replaced only after the block completed and the file was synced.

    Examples
    --------
    >>> with atomic_target("fig.png") as tmp:  # doctest: +SKIP
    ...     fig.savefig(tmp, format="png")
    """
    path = Path(path)
    tmp = temporary_name(path)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def write_atomic(path: PathLike, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` through a temporary."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_target(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return path


def savez_atomic(path: PathLike, **arrays: Any) -> Path:
    """``numpy.savez`` to ``path`` through a temporary (no pickles)."""
    path = Path(path)
    with atomic_target(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, allow_pickle=False, **arrays)
    return path


# ---------------------------------------------------------------- outputs


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output_file(
    path: PathLike,
    what: str,
    *,
    inputs: Iterable[tuple[str, PathLike | None]] = (),
) -> Path:
    """Check an output file path before any work is done.

    Parameters
    ----------
    path
        Where the output will be written.
    what
        The argument's name, used in messages (``"--out"``).
    inputs
        ``(argument name, path)`` of the inputs of the same call; ``None`` paths
        are skipped.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputRefusedError
        ``path`` is an existing folder, its folder does not exist or is not
        writable, or it names one of the inputs.
    """
    path = Path(path)
    if path.name in ("", ".", ".."):
        raise OutputRefusedError(f"{what}: expected a file name, got {str(path)!r}")
    if path.is_dir():
        raise OutputRefusedError(
            f"{what}: expected a file name, got the existing folder {path}"
        )
    parent = path.parent
    if not parent.exists():
        raise OutputRefusedError(f"{what}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputRefusedError(f"{what}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputRefusedError(f"{what}: cannot write in the folder {parent}")
    for name, other in inputs:
        if other is not None and Path(other).exists() and _same_file(path, Path(other)):
            raise OutputRefusedError(
                f"{what}: {path} is also the input {name}; writing it would "
                "overwrite the input, choose another path"
            )
    return path


def folder_kind(folder: PathLike) -> str | None:
    """What a folder of ours holds (its marker's ``kind``), or ``None``.

    ``None`` also for a missing folder or an unreadable marker.
    """
    marker = Path(folder) / MARKER
    try:
        kind = json.loads(marker.read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def mark_folder(folder: PathLike, kind: str) -> Path:
    """Write the marker that says ``folder`` holds a ``kind`` of ours."""
    return write_atomic(Path(folder) / MARKER, json.dumps({"kind": kind}) + "\n")


def _visible_entries(folder: Path) -> list[Path]:
    """Entries of ``folder`` other than our marker and our dead temporaries."""
    out = []
    for entry in folder.iterdir():
        if entry.name == MARKER:
            continue
        m = _TMP.match(entry.name)
        if m is not None and not _pid_alive(int(m["pid"])):
            continue
        out.append(entry)
    return out


def claim_folder(
    folder: PathLike,
    what: str,
    *,
    kind: str,
    force: bool = False,
    allow_ours: bool = True,
    create: bool = True,
) -> Path:
    """Check that ``folder`` may be filled with a ``kind`` of ours, and create it.

    Accepted without ``force``: a missing folder, an empty one, and (if
    ``allow_ours``) one whose marker says it holds a ``kind``. Anything else
    would mix our files with the user's or replace them, and is refused.

    Parameters
    ----------
    folder
        The output folder.
    what
        The argument's name, used in messages (``"--out"``).
    kind
        What the folder will hold (``"report"``, ``"train"``, ``"sweep"``).
    force
        Accept any folder (the user said so).
    allow_ours
        Accept a folder that already holds a ``kind`` of ours.
    create
        Create the folder (and its parents) if it is missing.

    Returns
    -------
    Path
        ``folder``.

    Raises
    ------
    OutputRefusedError
        ``folder`` is a file, its parent is a file, or it holds something else.
    """
    folder = Path(folder)
    if folder.name in ("", ".", "..") and not force:
        # the current folder or its parent: never ours to fill without --force
        if folder.is_dir() and _visible_entries(folder):
            raise OutputRefusedError(
                f"{what}: {str(folder)!r} is a folder that holds other files; "
                "name a new folder (or pass --force)"
            )
    if folder.exists() and not folder.is_dir():
        raise OutputRefusedError(f"{what}: expected a folder, got the file {folder}")
    for up in folder.parents:
        if up.exists():
            if not up.is_dir():
                raise OutputRefusedError(f"{what}: {up} is a file, not a folder")
            if not os.access(up, os.W_OK | os.X_OK) and not folder.exists():
                raise OutputRefusedError(f"{what}: cannot create a folder in {up}")
            break
    if folder.is_dir() and not force:
        found = folder_kind(folder)
        if _visible_entries(folder):
            if found is None:
                raise OutputRefusedError(
                    f"{what}: {folder} holds files that blocksim-lstm did not "
                    f"write; refusing to write a {kind} there (name a new or "
                    "empty folder, or pass --force)"
                )
            if found != kind or not allow_ours:
                raise OutputRefusedError(
                    f"{what}: {folder} already holds a {found} of blocksim-lstm; "
                    "name a new folder, or pass --force to replace it"
                )
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Exchange two paths atomically (Linux ``renameat2``); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    fn.argtypes += [ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_folder(new: PathLike, target: PathLike) -> None:
    """Put the folder ``new`` at ``target``; the folder that was there is removed.

    Where the system allows it (Linux), the two are exchanged by one atomic
    rename, so ``target`` holds the old or the new folder at every instant. The
    caller must have claimed ``target`` (:func:`claim_folder`): its old content
    is deleted afterwards.
    """
    new, target = Path(new), Path(target)
    if not target.exists():
        os.rename(new, target)
    elif _renameat2_exchange(new, target):
        shutil.rmtree(new)  # now the old folder
    else:  # no exchange rename: the shortest gap we can make
        old = temporary_name(target)
        os.rename(target, old)
        os.rename(new, target)
        shutil.rmtree(old)
    _fsync_dir(target.parent)


# ---------------------------------------------------------------- reading


def read_npz(
    path: PathLike,
    what: str,
    keys: Sequence[str],
    *,
    exact: bool = False,
    every: bool = False,
) -> dict[str, np.ndarray]:
    """Read the arrays ``keys`` of an ``.npz`` file, with clear errors.

    Parameters
    ----------
    path
        The file.
    what
        What the file is (``"weights"``, ``"system"``, ``"data"``): the argument
        named in error messages.
    keys
        Keys the file must hold.
    exact
        Also refuse keys beyond ``keys``.
    every
        Return every array of the file, not only ``keys``.

    Returns
    -------
    dict
        ``key -> array`` for each of ``keys`` (or every key, with ``every``).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a readable ``.npz`` (pickles are refused), or wrong keys.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what}: no such file {path}")
    with open(path, "rb") as fh:  # ours to close, whatever numpy does
        try:
            data = np.load(fh, allow_pickle=False)
        except Exception as exc:  # any failure to parse is an unreadable file
            raise ValueError(
                f"{what}: {path} is not a readable .npz file "
                f"({type(exc).__name__}); expected an .npz archive with the keys "
                f"{list(keys)}"
            ) from exc
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(
                f"{what}: {path} is a single .npy array, not an .npz archive; "
                f"expected an .npz with the keys {list(keys)}"
            )
        try:
            with data:
                found = {k: data[k] for k in data.files}
        except Exception as exc:  # a corrupt or truncated member
            raise ValueError(
                f"{what}: {path} is not a readable .npz file "
                f"({type(exc).__name__}: {str(exc)[:80]}); it may be truncated "
                "or corrupt"
            ) from exc
    missing = [k for k in keys if k not in found]
    extra = sorted(set(found) - set(keys)) if exact else []
    if missing or extra:
        raise ValueError(
            f"{what}: {path} must hold {'exactly ' if exact else ''}the keys "
            f"{list(keys)}; missing {missing}"
            + (f", unexpected {extra}" if exact else "")
        )
    return found if every else {k: found[k] for k in keys}
