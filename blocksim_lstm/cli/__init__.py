"""``blocksim-lstm`` command line: one module per sub-command.

Each sub-command module defines ``add_arguments(parser)`` and ``run(args) -> int``;
its one-line help lives in :data:`_COMMANDS`. Only the module of the command being
run is imported, so a command pays for its own imports only. Expected user errors
(bad files, shapes, values) are printed as one line and give exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
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
}


class UserError(Exception):
    """An error in what the user asked for; printed without a traceback."""


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
    """Entry point of the ``blocksim-lstm`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), "")
    # register only the command being run; none for top-level help or a typo
    parser = build_parser(first if first in _COMMANDS else "")
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
