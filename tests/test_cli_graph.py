"""``blocksim-lstm graph``, ``params`` and ``render`` on the seed's diagram."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from blocksim_lstm._names import LSTM_BLOCKS
from blocksim_lstm._param_count import lstm_count
from blocksim_lstm.cli import main


def test_graph_json_reports_30_blocks_and_five_cycles(capsys) -> None:
    assert main(["graph", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n_blocks"] == 30
    assert sorted(b["name"] for b in d["blocks"]) == sorted(LSTM_BLOCKS)
    assert d["helper_blocks"] == [] and not any(b["helper"] for b in d["blocks"])
    assert len(d["cycles"]) == 5
    assert d["cycle_groups"] == {"Hidden State": 4, "Cell State": 1}
    for c in d["cycles"]:
        assert c["delay"] in c["blocks"] and c["blocks"][0] == c["delay"]
    assert d["algebraic_loops"] == []
    assert d["lstm_check"]["ok"] is True
    wi = next(b for b in d["blocks"] if b["name"] == "Wi")
    assert wi["params"]["K"]["shape"] == [3, 4]
    widths = {w["wire"]: w["width"] for w in d["wires"]}
    assert widths["FC layer[0] -> To Workspace[0]"] == 2
    assert widths["From Workspace[0] -> Wi[0]"] == 4


def test_graph_with_a_delay_removed_reports_algebraic_loop(capsys) -> None:
    assert main(["graph", "--json", "--remove-delay", "Cell State"]) == 1
    out = capsys.readouterr()
    d = json.loads(out.out)
    assert [c["blocks"] for c in d["algebraic_loops"]] == [["prod_fc", "Sum"]]
    assert d["cycle_groups"] == {"Hidden State": 4}
    assert d["lstm_check"]["ok"] is False
    assert "algebraic loop" in out.err and "prod_fc -> Sum -> prod_fc" in out.err


def test_graph_refuses_a_block_that_is_not_a_delay(capsys) -> None:
    assert main(["graph", "--remove-delay", "Wi"]) == 2
    err = capsys.readouterr().err
    assert "--remove-delay: expected one of the delay blocks" in err and "'Wi'" in err


def test_graph_text_report(capsys) -> None:
    assert main(["graph", "--nn", "2", "--ni", "3", "--no", "1"]) == 0
    out = capsys.readouterr().out
    assert "feedback cycles: 5" in out and "algebraic loops: none" in out
    assert "LSTM loop check" in out and ": OK" in out


def test_params_reproduces_the_seed_figure(capsys) -> None:
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert "120,000" in out
    assert main(["params", "--json", "--ni", "4", "--units", "3", "--no", "2"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["total"] == lstm_count(4, 3) + 2 * (3 + 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--units", "3", "0"], "--units: expected an integer >= 1, got 0"),
        (["--ni", "-1"], "--ni: expected an integer >= 1, got -1"),
        (["--no", "-1"], "--no: expected an integer >= 0, got -1"),
    ],
)
def test_params_refuses_bad_sizes(capsys, args, message) -> None:
    assert main(["params", *args]) == 2
    assert capsys.readouterr().err == f"blocksim-lstm params: error: {message}\n"


def test_render_text_only_as_a_real_process(tmp_path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "blocksim_lstm",
            "render",
            "--text-only",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "lstm_layer.dot").is_file()
    assert "wrote" in proc.stdout
    assert not list(tmp_path.glob("*.png"))
