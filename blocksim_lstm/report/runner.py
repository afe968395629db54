"""Run every section of the study in SPEC order and write the report folder."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .context import ReportContext
from .document import Section, render_html, render_markdown

__all__ = ["ReportResult", "write_report"]

TITLE = "An LSTM layer as a nonlinear discrete-time dynamical system"
INTRO = (
    'This report reruns, section by section, the study "LSTM as a dynamical '
    'system" (a MATLAB/Simulink example) with blocksim-lstm, and goes further. '
    "Every number here was measured by the run that wrote this file "
    "(`blocksim-lstm report`); the same seed gives the same report."
)


@dataclass(frozen=True)
class ReportResult:
    """Where the report went and what it measured.

    Attributes
    ----------
    folder : the report folder.
    summary : the JSON summary (also in ``summary.json``), numbers by section
        (keyed by the section function's name).
    seconds : wall time per section (also in ``timings.json``).
    """

    folder: Path
    summary: dict[str, object]
    seconds: dict[str, float]


def _sections() -> list[Callable[[ReportContext], Section]]:
    from .sections import SECTIONS

    return list(SECTIONS)


def _replace_folder(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out``; an existing ``out`` is removed only afterwards."""
    backup = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.replace(out, backup)
    os.replace(tmp, out)
    if backup.exists():
        shutil.rmtree(backup)


def write_report(
    out: str | os.PathLike[str],
    *,
    quick: bool = False,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> ReportResult:
    """Run the whole study and write ``report.md``, ``report.html``, figures and
    ``summary.json`` to the folder ``out``.

    The folder is built under a temporary name and swapped in at the end, so an
    interrupted run (Ctrl-C) leaves any earlier report untouched.

    Parameters
    ----------
    out
        Report folder (created or replaced).
    quick
        Fewer epochs and smaller studies (for tests and demos).
    seed
        Seed of every random thing.
    log
        Progress printer (default: lines on stderr).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out: expected a folder, got the file {out}")
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    ctx = ReportContext(folder=tmp, quick=quick, seed=seed, log=log)
    sections: list[Section] = []
    seconds: dict[str, float] = {}
    makers = _sections()
    try:
        t_all = time.perf_counter()
        for k, make in enumerate(makers, 1):
            t0 = time.perf_counter()
            what = (make.__doc__ or make.__name__).splitlines()[0].rstrip(".")
            log(f"[{k}/{len(makers)}] {what} ...")
            sec = make(ctx)
            seconds[make.__name__] = time.perf_counter() - t0
            log(
                f"[{k}/{len(makers)}] {sec.title}: done in "
                f"{seconds[make.__name__]:.1f} s"
            )
            sections.append(sec)
        # numbers only: timings go to timings.json, so the same seed gives the
        # same report.md, report.html and summary.json, byte for byte
        summary = {
            "seed": seed,
            "quick": quick,
            "sections": {
                m.__name__: s.numbers for m, s in zip(makers, sections, strict=True)
            },
        }
        (tmp / "report.md").write_text(render_markdown(TITLE, INTRO, sections))
        (tmp / "report.html").write_text(render_html(TITLE, INTRO, sections))
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
        timings = {"seconds": seconds, **ctx.timings}
        (tmp / "timings.json").write_text(json.dumps(timings, indent=2))
        _replace_folder(tmp, out)
        log(
            f"report written to {out}/report.md and report.html "
            f"in {time.perf_counter() - t_all:.1f} s"
        )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ReportResult(out, summary, seconds)
