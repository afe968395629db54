"""``blocksim-lstm`` command line: one module per sub-command.

Each sub-command module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Expected user errors (bad files, shapes, values) are printed
as one line and give exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main"]

# sub-command name -> module (imported lazily: start-up stays fast)
_COMMANDS: dict[str, str] = {
    "simulate": "blocksim_lstm.cli.simulate",
    "crosscheck": "blocksim_lstm.cli.crosscheck",
    "report": "blocksim_lstm.cli.report",
    "approximate": "blocksim_lstm.cli.approximate",
    "graph": "blocksim_lstm.cli.graph",
    "render": "blocksim_lstm.cli.render",
    "params": "blocksim_lstm.cli.params",
    "train": "blocksim_lstm.cli.train",
    "sweep": "blocksim_lstm.cli.sweep",
}


class UserError(Exception):
    """An error in what the user asked for; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="blocksim-lstm",
        description="An LSTM layer as a nonlinear discrete-time dynamical system.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, modname in _COMMANDS.items():
        mod = importlib.import_module(modname)
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``blocksim-lstm`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args))
    except (UserError, ValueError, TypeError, FileNotFoundError) as exc:
        print(f"blocksim-lstm {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"blocksim-lstm {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
