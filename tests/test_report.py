"""The whole study as one report: files, figures, determinism, Ctrl-C, README."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from blocksim_lstm.cli import main
from blocksim_lstm.report import runner, write_report

ROOT = Path(__file__).parent.parent
VERDICTS = {
    "holds",
    "differs",
    "refuted (not needed)",
    "differs (depends on the realization)",
    "holds in kind, differs in size",
    "holds (larger error); the 3u growth differs",
}


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "rep"
    logs: list[str] = []
    result = write_report(out, quick=True, seed=0, log=logs.append)
    return out, result, logs


def test_files_sections_and_progress(quick):
    out, result, logs = quick
    for name in ("report.md", "report.html", "summary.json", "timings.json"):
        assert (out / name).is_file(), name
    md = (out / "report.md").read_text()
    titles = re.findall(r"^## \d+\. (.+)$", md, flags=re.M)
    assert titles[0].startswith("The diagram")
    assert [t.split(":")[0] for t in titles[1:3]] == [
        "Experiment 1",
        "Parameter count",
    ]
    assert titles[-1] == "The original's claims, measured"
    assert len(titles) == len(result.summary["sections"]) == 9
    # progress: a start and a done line per section
    assert sum("done in" in line for line in logs) == 9


def test_every_figure_exists_as_png_and_svg_in_both_formats(quick):
    out, _, _ = quick
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    figs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(figs) >= 10
    for f in figs:
        assert (out / f).is_file(), f
        assert (out / f).with_suffix(".svg").is_file(), f
        assert f'src="{f}"' in html
        assert (out / f).stat().st_size > 10_000  # a real picture, not a stub


def test_claims_table_is_honest(quick):
    _, result, _ = quick
    rows = result.summary["sections"]["claims"]["claims"]
    assert len(rows) >= 10
    for row in rows:
        assert row["verdict"] in VERDICTS, row
        if row["verdict"].startswith("holds"):
            assert re.search(r"\d", row["measured"]), row


def test_same_seed_gives_the_same_report(quick, tmp_path):
    out, _, _ = quick
    again = tmp_path / "again"
    write_report(again, quick=True, seed=0, log=lambda _m: None)
    for name in ("report.md", "report.html", "summary.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_readme_numbers_agree_with_a_fresh_quick_run(quick):
    _, result, _ = quick
    text = (ROOT / "README.md").read_text()
    table = text.split("<!-- numbers:start -->")[1].split("<!-- numbers:end -->")[0]
    rows = re.findall(r"^\| (.+?) \| (.+?) \| `(.+?)` \|$", table, flags=re.M)
    rows = [r for r in rows if r[0] != "quantity"]
    assert len(rows) >= 12
    sections = result.summary["sections"]
    for label, value, key in rows:
        section, name = key.split(".", 1)
        measured = sections[section][name]
        assert f"{float(measured):.3g}" == value, (label, measured, value)


def test_interrupt_leaves_the_previous_report_intact(tmp_path, monkeypatch):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "report.md").write_text("earlier report")

    def first(ctx):
        """First section."""
        from blocksim_lstm.report.document import Section

        return Section("fine")

    def second(ctx):
        """Second section."""
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_sections", lambda: [first, second])
    with pytest.raises(KeyboardInterrupt):
        write_report(out, log=lambda _m: None)
    assert (out / "report.md").read_text() == "earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_out_must_be_a_folder(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["report", "--out", str(f)]) == 2
    assert "out: expected a folder" in capsys.readouterr().err


def test_committed_snapshot_matches_the_readme():
    """docs/report is a full run; its training numbers are the README's."""
    summary = json.loads((ROOT / "docs/report/summary.json").read_text())
    assert summary["quick"] is False and summary["seed"] == 0
    a = summary["sections"]["study_calculated"]
    b = summary["sections"]["study_random"]
    sweep = summary["sections"]["sensitivity_sweep"]
    text = (ROOT / "README.md").read_text()
    assert f"study a) ends at {a['final_loss']:.2g}" in text
    assert f"study b) ends at {b['final_loss']:.2g}" in text
    assert f"median {sweep['median_per_seed_ratio']:.2g}x" in text
    assert a["epochs"] == 10000 and a["start_was_best"] is True
