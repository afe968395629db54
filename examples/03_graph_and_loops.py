"""The LSTM diagram as a graph: its feedback loops, and a picture of it.

Any bdsim diagram becomes a networkx MultiDiGraph (blocks = nodes, wires = edges).
From it: every feedback cycle grouped by the delay that breaks it, and the
algebraic loop that appears when a delay is removed. Then draw the diagram.
"""

from pathlib import Path

from blocksim_lstm.diagram import build_lstm_diagram
from blocksim_lstm.experiment import seed_problem
from blocksim_lstm.figures import save_figure
from blocksim_lstm.graph import bypass_block, diagram_graph
from blocksim_lstm.layout import lstm_layout
from blocksim_lstm.loops import (
    AlgebraicLoopError,
    check_no_algebraic_loops,
    structure_report,
)
from blocksim_lstm.render import draw_layout, overlaps

params, u = seed_problem()  # Nn=3, Ni=4, No=2
diagram = build_lstm_diagram(params, u)
diagram.compile()  # compiled: the graph also knows each wire's width
graph = diagram_graph(diagram)
report = structure_report(graph)
print(f"{len(report.blocks)} blocks, {graph.number_of_edges()} wires")
print("cycles per delay:", report.groups)  # {'Hidden State': 4, 'Cell State': 1}
for cycle in report.cycles:
    print("  " + " -> ".join([*cycle.blocks, cycle.blocks[0]]))

# Remove the cell-state delay: its loop is now an algebraic loop.
broken = bypass_block(graph, "Cell State")
try:
    check_no_algebraic_loops(broken)
except AlgebraicLoopError as err:
    print("without the Cell State delay:", err)

layout = lstm_layout(graph, title="LSTM layer (Nn=3, Ni=4, No=2)")
fig = draw_layout(layout)
print("overlapping boxes or labels:", overlaps(fig) or "none")
print("wrote", save_figure(fig, Path("lstm_layer.png")))
