"""``blocksim-lstm`` command line: one module per sub-command.

Each sub-command module defines ``add_arguments(parser)`` and ``run(args) -> int``;
its one-line help lives in :data:`_COMMANDS`. Only the module of the command being
run is imported, so a command pays for its own imports only.

Errors: bad input (files, shapes, values, sizes that cannot fit: a ``ValueError``
or ``FileNotFoundError`` naming the argument), a failing disk or a refused write
(``OSError``: full disk, permission, read-only place) and running out of memory
are printed as one line ``blocksim-lstm COMMAND: error: ...`` with exit status 2,
never a traceback. Anything else (a ``TypeError``, a ``RuntimeError``, numpy's
``LinAlgError``...) is a bug of ours and keeps its traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import re
import sys
from collections.abc import Sequence

__all__ = ["main"]

# sub-command name -> (module, one-line help); modules are imported on use
_COMMANDS: dict[str, tuple[str, str]] = {
    "simulate": (
        "blocksim_lstm.cli.simulate",
        "run the LSTM block diagram (default: the seed's experiment 1)",
    ),
    "crosscheck": (
        "blocksim_lstm.cli.crosscheck",
        "cross-check every wire of the block diagram against the reference cell",
    ),
    "report": (
        "blocksim_lstm.cli.report",
        "run the whole study in SPEC order and write report.md / report.html",
    ),
    "approximate": (
        "blocksim_lstm.cli.approximate",
        "LSTM weights that reproduce a linear system (default: the seed's plant)",
    ),
    "graph": (
        "blocksim_lstm.cli.graph",
        "structural report of the diagram: blocks, feedback loops by delay, order",
    ),
    "run": (
        "blocksim_lstm.cli.run",
        "run a .bd model file with bdsim's own runner (bdrun); writes y",
    ),
    "render": (
        "blocksim_lstm.cli.render",
        "regenerate diagrams/: pictures (PNG, SVG) and DOT/GraphML of every diagram",
    ),
    "params": (
        "blocksim_lstm.cli.params",
        "parameter count of stacked LSTM layers (+ FC layer), per array and total",
    ),
    "train": (
        "blocksim_lstm.cli.train",
        "train the LSTM + FC network with Adam (default: the seed's plant data)",
    ),
    "sweep": (
        "blocksim_lstm.cli.sweep",
        "train many seeds x hyperparameters in parallel; one table of results",
    ),
    "analyze": (
        "blocksim_lstm.cli.analyze",
        "the LSTM as a dynamical system: equilibria, linearization, stability",
    ),
    "import": (
        "blocksim_lstm.cli.import_",
        "read an LSTM from PyTorch (.pt), ONNX (.onnx) or Keras (.keras) into W.npz",
    ),
    "export": (
        "blocksim_lstm.cli.export_",
        "write weights W.npz as an ONNX model or a PyTorch state dict",
    ),
}


class UserError(ValueError):
    """An error in what the user asked for; printed without a traceback."""


# a temporary of ours (blocksim_lstm._files.temporary_name): .NAME.tmp-PID-HEX
_TMP = re.compile(r"^\.(?P<name>.+)\.tmp-\d+(?:-[0-9a-f]+)?$")


def _shown_path(filename: object) -> str:
    """The path a user knows: a temporary of ours is shown as its target."""
    text = (
        os.fsdecode(filename) if isinstance(filename, (str, bytes)) else str(filename)
    )
    head, tail = os.path.split(text)
    m = _TMP.match(tail)
    return os.path.join(head, m["name"]) if m else text


def os_error_reason(exc: OSError) -> str:
    """Why a file operation failed, in words (``"no space left on the disk"``)."""
    if exc.errno == errno.ENOSPC:
        return "no space left on the disk"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno == errno.EFBIG:
        return "file too large (file-size limit)"
    return exc.strerror or f"{type(exc).__name__}: {exc}"


def describe_os_error(exc: OSError) -> str:
    """One line for a failed file operation: the file (as the user named it), why."""
    if exc.filename is None:
        return os_error_reason(exc)
    return f"{_shown_path(exc.filename)}: {os_error_reason(exc)}"


def _is_bug(exc: ValueError) -> bool:
    """A ``ValueError`` that is no bad input: numpy's ``LinAlgError``.

    Inputs are checked at the door (stable system, real finite arrays, sizes),
    so a singular matrix deep inside is something we did not foresee: its
    traceback is worth more than one line.
    """
    np = sys.modules.get("numpy")
    return np is not None and isinstance(exc, np.linalg.LinAlgError)


def _interrupted(exc: BaseException) -> bool:
    """Whether a Ctrl-C caused ``exc``.

    A ``KeyboardInterrupt`` that lands while a module is being imported can
    come out wrapped (numba's class set-up turns it into a ``RuntimeError``,
    numpy's import into an ``ImportError``): it is still the user's Ctrl-C,
    not a bug.
    """
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the top-level parser.

    Parameters
    ----------
    command
        The sub-command whose options are registered (its module is imported);
        None registers every sub-command's options, ``""`` none of them.
    """
    parser = argparse.ArgumentParser(
        prog="blocksim-lstm",
        description="An LSTM layer as a nonlinear discrete-time dynamical system.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (modname, help_) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        if command is None or name == command:
            mod = importlib.import_module(modname)
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``blocksim-lstm`` command; returns the exit status.

    Parameters
    ----------
    argv
        The command line without the program name; None reads ``sys.argv[1:]``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), "")
    # register only the command being run; none for top-level help or a typo
    try:  # imports the command's module: a Ctrl-C may land in numpy's import
        parser = build_parser(first if first in _COMMANDS else "")
    except Exception as exc:
        if not _interrupted(exc):
            raise
        print(f"blocksim-lstm {first or ''}: interrupted".strip(), file=sys.stderr)
        return 130
    args = parser.parse_args(argv)
    prefix = f"blocksim-lstm {args.command}: error:"
    try:
        return int(args._run(args))
    except ValueError as exc:  # bad input, incl. UserError and refused outputs
        if _is_bug(exc):
            raise
        print(f"{prefix} {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        text = str(exc) if exc.errno is None else describe_os_error(exc)
        print(f"{prefix} {text}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # stdout closed early (`... | head`): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush at exit
        return 141
    except OSError as exc:  # disk full, permission, read-only place
        print(f"{prefix} {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except MemoryError as exc:
        detail = f" ({exc})" if str(exc) else ""
        print(f"{prefix} out of memory{detail}; choose smaller sizes", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"blocksim-lstm {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a Ctrl-C wrapped by an import (numpy, numba)
        if not _interrupted(exc):
            raise
        print(f"blocksim-lstm {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
