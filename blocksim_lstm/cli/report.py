"""``blocksim-lstm report``: the whole study, one report folder."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("report"),
        help="report folder (default ./report): missing, empty, or an earlier "
        "report, which is replaced",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace --out even if it holds files that no report wrote "
        "(they are deleted)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer epochs and smaller studies (tests, demos)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS|local[:N]",
        help="run the sensitivity sweep on a Dask cluster (extra [distributed]); "
        "the same numbers",
    )


def run(args: argparse.Namespace) -> int:
    from ..report import write_report

    try:
        result = write_report(
            args.out,
            quick=args.quick,
            seed=args.seed,
            force=args.force,
            scheduler=args.scheduler,
        )
    except ImportError as exc:  # the extra [distributed] is missing
        raise ValueError(f"--{exc}") from exc
    except (ValueError, TypeError) as exc:
        if str(exc).startswith("scheduler: "):
            raise ValueError(f"--{exc}") from exc
        raise
    print(f"{result.folder / 'report.html'}")
    return 0
