"""The LSTM diagram as a graph: its feedback loops, and a picture of it.

Any bdsim diagram becomes a networkx MultiDiGraph (blocks = nodes, wires = edges).
From it: every feedback cycle grouped by the delay that breaks it, and the
algebraic loop that appears when a delay is removed. Then draw the diagram.
"""

from pathlib import Path

import blocksim_lstm as bl
from blocksim_lstm.layout import draw_layout, lstm_layout, overlaps

params, u = bl.seed_problem()  # Nn=3, Ni=4, No=2
diagram = bl.build_lstm_diagram(params, u)
diagram.compile()  # compiled: the graph also knows each wire's width
graph = bl.diagram_graph(diagram)
report = bl.structure_report(graph)
print(f"{len(report.blocks)} blocks, {graph.number_of_edges()} wires")
print("cycles per delay:", report.groups)  # {'Hidden State': 4, 'Cell State': 1}
for cycle in report.cycles:
    print("  " + " -> ".join([*cycle.blocks, cycle.blocks[0]]))

# Remove the cell-state delay: its loop is now an algebraic loop.
broken = bl.bypass_block(graph, "Cell State")
try:
    bl.check_no_algebraic_loops(broken)
except bl.AlgebraicLoopError as err:
    print("without the Cell State delay:", err)

# one call: the LSTM layout for one layer (layered for others), PNG or SVG
print("wrote", bl.draw(graph, Path("lstm_layer.png"), title="LSTM layer (Nn=3)"))
# the steps behind it, when a script wants the figure itself
fig = draw_layout(lstm_layout(graph, title="LSTM layer (Nn=3)"))
print("overlapping boxes or labels:", overlaps(fig) or "none")
