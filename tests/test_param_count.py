"""Parameter counts against independent counts: LSTMParams arrays and torch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._param_count import (
    count_lstm,
    count_network,
    count_params,
    fc_count,
    lstm_count,
    plot_param_growth,
)
from blocksim_lstm._parameters import LSTMParams

sizes = st.integers(1, 40)


@settings(max_examples=25, deadline=None)
@given(nn=sizes, ni=sizes, no=sizes)
def test_counts_equal_the_sizes_of_real_arrays(nn: int, ni: int, no: int) -> None:
    p = LSTMParams.random(nn, ni, no, seed=nn + ni + no)
    learnable = sum(getattr(p, k).size for k in ("W", "R", "b", "F", "bF"))
    c = count_params(p)
    assert c.total == learnable
    assert {a.name: a.shape for a in c.arrays} == {
        k: getattr(p, k).shape for k in ("W", "R", "b", "F", "bF")
    }
    assert c.by_layer() == {"lstm1": lstm_count(ni, nn), "fc": fc_count(nn, no)}


@settings(max_examples=10, deadline=None)
@given(
    ni=st.integers(1, 30), units=st.lists(st.integers(1, 30), min_size=1, max_size=3)
)
def test_stacked_counts_match_torch(ni: int, units: list[int]) -> None:
    torch = pytest.importorskip("torch")
    total_torch = 0
    width = ni
    for nn in units:
        layer = torch.nn.LSTM(width, nn)
        # torch has two bias vectors (b_ih, b_hh) where the model has one
        total_torch += sum(p.numel() for p in layer.parameters()) - 4 * nn
        width = nn
    assert count_network(ni, units).total == total_torch


def test_seed_figure_two_hundred_unit_layers() -> None:
    c = count_network(1, [100, 100])
    sizes = {(a.layer, a.name): a.size for a in c.arrays}
    assert sizes[("lstm1", "R")] == sizes[("lstm2", "R")] == sizes[("lstm2", "W")]
    assert sizes[("lstm2", "W")] == 4 * 100 * 100
    assert c.core_weights() == 120_000
    assert c.total == 120_000 + sizes[("lstm1", "W")] + 2 * 4 * 100


def test_quadratic_in_units_linear_in_inputs() -> None:
    nn = np.array([10, 20, 40, 80])
    counts = np.array([lstm_count(5, int(n)) for n in nn])
    second_diff = np.diff(counts, 2) / np.diff(nn)[:-1] ** 2
    assert np.all(second_diff > 0)
    assert lstm_count(7, 10) - lstm_count(6, 10) == lstm_count(6, 10) - lstm_count(
        5, 10
    )


def test_table_lists_every_array_and_total() -> None:
    text = count_lstm(4, 3, 2).table()
    for token in ("W", "R", "b", "F", "bF", "(12, 4)", "(12, 3)", "(2, 3)", "total"):
        assert token in text
    # 4*3*(4+3+1) = 96 for the LSTM layer, 2*(3+1) = 8 for the FC layer
    assert text.splitlines()[-1].split()[-1] == "104"


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        ((0, [3]), ValueError, "ni"),
        ((2, []), ValueError, "units"),
        ((2, [3, -1]), ValueError, r"units\[1\]"),
        ((2, [3.5]), TypeError, r"units\[0\]"),
        ((2, [3], 0), ValueError, "no"),
    ],
)
def test_bad_sizes_are_refused(args, exc, match) -> None:
    with pytest.raises(exc, match=match):
        count_network(*args)


def test_count_params_wants_lstm_params() -> None:
    with pytest.raises(TypeError, match="params: expected LSTMParams"):
        count_params({"W": 1})


def test_growth_plot_is_written(tmp_path) -> None:
    out = plot_param_growth(tmp_path / "growth.png", units=(1, 10, 100))
    assert out.stat().st_size > 1000
    assert not list(tmp_path.glob("*.tmp"))
