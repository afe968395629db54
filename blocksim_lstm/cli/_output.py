"""Output paths of the commands: checked before any work, write errors named.

Output files are checked with :func:`blocksim_lstm._files.check_output_file`;
this module adds the check of an output folder that a command fills with files
of fixed names (figures), and :func:`writing`, which turns a write that fails
anyway (a full disk, a place only the kernel refuses) into one line naming the
argument.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from .._files import OutputRefusedError, check_output_file, temporary_name

__all__ = ["check_output_folder", "check_output_path", "writing"]


def _try_create(folder: Path, what: str) -> None:
    """Create and remove a temporary of ours in ``folder``: can we really write?

    ``os.access`` says yes to root everywhere, also where the kernel refuses
    (``/sys``); creating a file is the only test that cannot lie.
    """
    from . import os_error_reason

    tmp = temporary_name(folder / "write-test")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise OutputRefusedError(
            f"{what}: cannot write in the folder {folder}: {os_error_reason(exc)}"
        ) from exc
    os.close(fd)
    os.unlink(tmp)


def check_output_path(
    path: Path, what: str, *, inputs: list[tuple[str, Path | None]] | None = None
) -> Path:
    """:func:`~blocksim_lstm._files.check_output_file`, then a real test write.

    Raises
    ------
    OutputRefusedError
        As ``check_output_file``, or a file cannot be created in the folder.
    """
    path = check_output_file(path, what, inputs=inputs or [])
    _try_create(path.parent, what)
    return path


def check_output_folder(folder: Path, what: str) -> Path:
    """Check an output folder before any work: a folder (or creatable), writable.

    Parameters
    ----------
    folder
        The folder; it may exist (files of ours are written into it) or not (it
        is created with its parents). A file is created and removed in it (or
        in its nearest existing parent) to be sure it can be written.
    what
        The argument's name, used in messages (``"--out"``).

    Raises
    ------
    OutputRefusedError
        ``folder`` is a file, lies under a file, or cannot be written.
    """
    folder = Path(folder)
    if folder.exists():
        if not folder.is_dir():
            raise OutputRefusedError(
                f"{what}: expected a folder, got the file {folder}"
            )
        _try_create(folder, what)
        return folder
    for up in folder.absolute().parents:
        if up.exists():
            if not up.is_dir():
                raise OutputRefusedError(f"{what}: {up} is a file, not a folder")
            _try_create(up, what)
            break
    return folder


@contextlib.contextmanager
def writing(what: str, path: Path) -> Iterator[None]:
    """Turn an ``OSError`` raised inside into a one-line error naming ``what``.

    For the failures that no check beforehand can see: a full disk, a file-size
    limit, a place where even root may not write (``/sys``).
    """
    from . import _shown_path, os_error_reason

    try:
        yield
    except OSError as exc:
        where = ""
        if exc.filename is not None:
            shown = _shown_path(exc.filename)
            where = "" if Path(shown) == Path(path) else f" ({shown})"
        raise OutputRefusedError(
            f"{what}: cannot write {path}{where}: {os_error_reason(exc)}"
        ) from exc
