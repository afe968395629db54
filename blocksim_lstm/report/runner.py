"""Run every section of the study in SPEC order and write the report folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._files import (
    MARKER,
    OutputRefusedError,
    claim_folder,
    folder_kind,
    remove_stale_temporaries,
    swap_folder,
    temporary_name,
    write_atomic,
)
from .context import ReportContext
from .document import Section, render_html, render_markdown
from .precision import BOUND_RULE, SUMMARY_DIGITS, json_ready

__all__ = ["ReportResult", "write_report"]

TITLE = "An LSTM layer as a nonlinear discrete-time dynamical system"
INTRO = (
    'This report reruns, section by section, the study "LSTM as a dynamical '
    'system" (a MATLAB/Simulink example) with blocksim-lstm, and goes further. '
    "Every number here was measured by the run that wrote this file "
    "(`blocksim-lstm report`); the same seed gives the same report, on any "
    "machine. "
    + BOUND_RULE
    + " Results of long trainings are chaotic (a rounding-level change moves a "
    "final loss by 2x), so they are given as the median and the range "
    "(min–max) over several seeds. `summary.json` holds every number to "
    f"{SUMMARY_DIGITS} significant digits."
)

ROUNDING_NOTE = (
    "Raw values of the numbers the report gives as bounds (rounding-level: they "
    "depend on the CPU and the BLAS kernel, so they differ between machines)."
)

# what a report folder holds, for a folder without our marker (written before
# markers existed, e.g. a committed snapshot): nothing else may be in it
_REPORT_FILES = re.compile(
    r"^(report\.md|report\.html|summary\.json|timings\.json|rounding\.json"
    r"|figures/[^/]+\.(png|svg)"
    r"|runs/study_[a-z]+/[^/]+\.(png|svg|json|csv|npz)"
    r"|runs/sweep/[^/]+\.(png|svg|csv))$"
)


@dataclass(frozen=True)
class ReportResult:
    """Where the report went and what it measured.

    Attributes
    ----------
    folder : the report folder.
    summary : the JSON summary (as written to ``summary.json``), numbers by
        section (keyed by the section function's name), to 4 significant digits.
    seconds : wall time per section (also in ``timings.json``).
    rounding : raw values of the numbers the report gives as bounds (also in
        ``rounding.json``; machine-dependent).
    """

    folder: Path
    summary: dict[str, object]
    seconds: dict[str, float]
    rounding: dict[str, float]


def _sections() -> list[Callable[[ReportContext], Section]]:
    from .sections import SECTIONS

    return list(SECTIONS)


def _files_in(folder: Path) -> list[str]:
    """Every file under ``folder`` (relative POSIX paths, sorted), but our marker."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() and p.name != MARKER
    )


def _listed_files(folder: Path) -> set[str] | None:
    """The files our marker says the report wrote, or None without a list."""
    try:
        files = json.loads((folder / MARKER).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else None


def _is_unmarked_report(folder: Path) -> bool:
    """A report of ours written before folders carried a marker."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(summary, dict)
        and {"seed", "quick", "sections"} <= set(summary)
        and all(_REPORT_FILES.match(f) for f in _files_in(folder))
    )


def _strangers(folder: Path) -> list[str]:
    """Files in the report folder ``folder`` that no report of ours wrote."""
    listed = _listed_files(folder)
    if listed is None:
        return [f for f in _files_in(folder) if not _REPORT_FILES.match(f)]
    return [f for f in _files_in(folder) if f not in listed]


def _claim(out: str | os.PathLike[str], force: bool) -> Path:
    """Check that the report may replace ``out``; return the path to write.

    Accepted: a missing or empty folder, a report of ours (marked, or written
    before markers) holding only files a report writes. Anything else is a
    user's folder, refused unless ``force``.
    """
    text = os.fspath(out)
    path = Path(out)
    if path.is_symlink():  # replace what the link points to, keep the link
        path = Path(os.path.realpath(path))
    if path.name in ("", ".", ".."):
        raise OutputRefusedError(
            f"--out: expected the name of a report folder, got {text!r}; the "
            "report replaces that folder as a whole, so name a folder of its own "
            "(e.g. --out report)"
        )
    if (
        force
        or not path.is_dir()
        or not (folder_kind(path) is None and _is_unmarked_report(path))
    ):
        claim_folder(path, "--out", kind="report", force=force, create=False)
    if path.is_dir() and not force:
        found = _strangers(path)
        if found:
            more = f" and {len(found) - 3} more" if len(found) > 3 else ""
            raise OutputRefusedError(
                f"--out: {path} is a report folder that also holds files a report "
                f"does not write ({', '.join(found[:3])}{more}); a new report "
                "replaces the whole folder: move them, name another folder, or "
                "pass --force"
            )
    return path


def _mark(folder: Path) -> None:
    """Our marker, listing every file of the report (what a rerun may replace)."""
    marker = {"kind": "report", "files": _files_in(folder)}
    write_atomic(folder / MARKER, json.dumps(marker, indent=1) + "\n")


def write_report(
    out: str | os.PathLike[str],
    *,
    quick: bool = False,
    seed: int = 0,
    force: bool = False,
    log: Callable[[str], None] | None = None,
    scheduler: str | None = None,
) -> ReportResult:
    """Run the whole study and write ``report.md``, ``report.html``, figures and
    ``summary.json`` to the folder ``out``.

    The report is built in a temporary folder of ours beside ``out`` and
    exchanged with ``out`` in one atomic rename at the end: at every instant
    (Ctrl-C, ``kill -9``, power loss) ``out`` holds the earlier report or the
    new one. Temporary folders left by a killed run are removed by the next.

    Parameters
    ----------
    out
        Report folder: missing, empty, or an earlier report (replaced).
    quick
        Fewer epochs and smaller studies (for tests and demos).
    seed
        Seed of every random thing.
    force
        Replace ``out`` even if it holds files that no report wrote (they are
        deleted).
    log
        Progress printer (default: lines on stderr).
    scheduler
        Run the sensitivity sweep on a Dask cluster (``"local[:N]"`` or a
        scheduler address; the extra ``[distributed]``); the same numbers.

    Raises
    ------
    OutputRefusedError
        ``out`` is a file, the current or parent folder, or a folder holding
        files a report does not write (without ``force``).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
    out = _claim(out, force)
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out.parent)
    tmp = temporary_name(out)
    tmp.mkdir()
    if scheduler is not None:  # checked before any work
        from ..studies._dask import check_scheduler, import_distributed

        check_scheduler(scheduler)
        import_distributed()
    ctx = ReportContext(
        folder=tmp, quick=quick, seed=seed, log=log, scheduler=scheduler
    )
    sections: list[Section] = []
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    makers = _sections()
    try:
        t_all = time.perf_counter()
        for k, make in enumerate(makers, 1):
            t0, c0 = time.perf_counter(), time.process_time()
            what = (make.__doc__ or make.__name__).splitlines()[0].rstrip(".")
            log(f"[{k}/{len(makers)}] {what} ...")
            sec = make(ctx)
            seconds[make.__name__] = time.perf_counter() - t0
            cpu[make.__name__] = time.process_time() - c0
            log(
                f"[{k}/{len(makers)}] {sec.title}: done in "
                f"{seconds[make.__name__]:.1f} s"
            )
            sections.append(sec)
        # numbers only, at the precision the physics gives them: timings and
        # rounding-level digits go to their own files, so the same seed gives
        # the same report.md, report.html and summary.json on any machine
        summary = json_ready(
            {
                "seed": seed,
                "quick": quick,
                "sections": {
                    m.__name__: s.numbers for m, s in zip(makers, sections, strict=True)
                },
            }
        )
        assert isinstance(summary, dict)
        write_atomic(tmp / "report.md", render_markdown(TITLE, INTRO, sections))
        write_atomic(tmp / "report.html", render_html(TITLE, INTRO, sections))
        write_atomic(tmp / "summary.json", json.dumps(summary, indent=2) + "\n")
        timings: dict[str, object] = {
            "seconds": seconds,
            "cpu_seconds_main_process": cpu,
        }
        timings.update(ctx.timings)
        write_atomic(tmp / "timings.json", json.dumps(timings, indent=2) + "\n")
        rounding = {"note": ROUNDING_NOTE, "values": ctx.rounding}
        write_atomic(tmp / "rounding.json", json.dumps(rounding, indent=2) + "\n")
        _mark(tmp)
        out = _claim(out, force)  # again: the user may have added files meanwhile
        swap_folder(tmp, out)
        log(
            f"report written to {out}/report.md and report.html "
            f"in {time.perf_counter() - t_all:.1f} s"
        )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ReportResult(out, summary, seconds, dict(ctx.rounding))
