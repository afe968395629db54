"""Sections: the diagram and its loops; the parameter count."""

from __future__ import annotations

from ..._crosscheck import crosscheck_diagram
from ..._diagram import build_lstm_diagram
from ..._experiment import seed_problem
from ..._graph import bypass_block, diagram_graph
from ..._loops import structure_report
from ..._names import CELL_DELAY, LSTM_BLOCKS
from ..._param_count import count_lstm, count_network, plot_param_growth
from ...layout import CrossCheckPaint, draw_layout, lstm_layout
from ..context import ReportContext
from ..document import Section


def diagram_and_loops(ctx: ReportContext) -> Section:
    """The diagram and its two feedback loops.

    Parameters
    ----------
    ctx
        The report run (figures go to its folder).
    """
    sec = Section("The diagram and its feedback loops")
    params, u = seed_problem(seed=ctx.seed)
    diagram = build_lstm_diagram(params, u)
    graph = diagram_graph(diagram)
    report = structure_report(graph, original=LSTM_BLOCKS)
    layout = lstm_layout(
        graph, title="One LSTM layer + FC layer as a discrete-time system"
    )
    fig = draw_layout(layout)
    sec.figure(
        ctx.save_figure(fig, "lstm_diagram"),
        "The seed's LSTM layer as a bdsim block diagram, drawn from the diagram "
        "itself: inner loop (cell state) in orange, outer loop (hidden state) in "
        "blue, both closed by unit delays z⁻¹ underneath.",
    )
    sec.p(
        f"The diagram has **{len(report.blocks)} blocks** "
        f"({'no helper blocks' if not report.helper_blocks else report.helper_blocks})"
        f" and **{len(report.cycles)} simple feedback cycles**, grouped by the delay "
        "that breaks them. Each unit has two states, c and h: the layer is a "
        "2Nn-state nonlinear discrete-time system with two nested loops, like a "
        "cascade control structure."
    )
    rows = [
        [c.delay, k + 1, " → ".join([*c.blocks, c.blocks[0]])]
        for k, c in enumerate(report.cycles)
    ]
    sec.table(["broken by delay", "cycle", "blocks around the loop"], rows)
    broken = structure_report(bypass_block(graph, CELL_DELAY), original=LSTM_BLOCKS)
    sec.p(
        "Remove the `Cell State` delay and the inner loop has no delay left: an "
        f"**algebraic loop**, reported as {len(broken.algebraic_loops)} loop(s): "
        + "; ".join(" → ".join(c.blocks) for c in broken.algebraic_loops)
        + "."
    )
    # a fault, found by the cross-check and painted onto the picture
    faulty = build_lstm_diagram(params, u)
    K = faulty.blocks["Rf"].K.copy()
    K[0, 0] += 1e-3
    faulty.blocks["Rf"].K = K
    cc = crosscheck_diagram(faulty)
    fig = draw_layout(layout, paint=CrossCheckPaint.from_report(cc))
    div = cc.first_divergence
    sec.figure(
        ctx.save_figure(fig, "lstm_diagram_fault"),
        "Beyond any simulation tool we know: the cross-check painted onto the "
        "diagram. A fault is injected (Rf[0,0] + 1e-3); every wire is coloured by "
        "its largest error and the first divergence "
        f"({div.signal if div else 'none'}, step {div.step if div else '-'}) is "
        "boxed in red; the error then spreads round both loops.",
    )
    sec.numbers.update(
        {
            "blocks": len(report.blocks),
            "cycles": len(report.cycles),
            "cycle_groups": report.groups,
            "algebraic_loops": len(report.algebraic_loops),
            "algebraic_loops_without_cell_state": len(broken.algebraic_loops),
            "fault_first_divergence": None if div is None else div.signal,
        }
    )
    ctx.results["structure"] = sec.numbers
    return sec


def parameter_count(ctx: ReportContext) -> Section:
    """Parameter count: quadratic in units, linear in inputs.

    Parameters
    ----------
    ctx
        The report run (figures go to its folder).
    """
    sec = Section("Parameter count")
    seed = count_lstm(4, 3, 2)
    sec.p(
        "An LSTM layer has 4 Nn (Ni + Nn + 1) parameters: quadratic in the units "
        "(R is 4Nn × Nn), linear in the inputs (W is 4Nn × Ni); the FC layer adds "
        f"No (Nn + 1). The seed's network: {seed.total} parameters "
        f"({' + '.join(f'{n} in {k}' for k, n in seed.by_layer().items())})."
    )
    two = count_network(1, [100, 100], 1)
    rows = [
        [a.layer, a.name, "×".join(map(str, a.shape)), f"{a.size:,}"]
        for a in two.arrays
    ]
    rows.append(["all", "total", "", f"{two.total:,}"])
    sec.table(["layer", "array", "shape", "parameters"], rows)
    sec.p(
        f"Two 100-unit layers in series (one input, one output): each R has "
        f"{two.by_name('R') // 2:,} elements and the second layer's W another "
        f"40,000: **{two.core_weights():,}** before the biases and the first "
        f"layer's W, as the original says; {two.total:,} in all."
    )
    path = plot_param_growth(ctx.figures / "param_growth.png")
    sec.figure(
        f"figures/{path.name}",
        "Parameters of one LSTM layer against units for a few input widths "
        "(log-log): the slope tends to 2 whatever the input width.",
    )
    sec.numbers.update(
        {
            "seed_layer": seed.total,
            "two_100_core": two.core_weights(),
            "two_100_total": two.total,
        }
    )
    ctx.results["params"] = sec.numbers
    return sec


__all__ = ["diagram_and_loops", "parameter_count"]
