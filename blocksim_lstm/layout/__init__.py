"""Where each block and wire of a diagram goes on the page.

Two layouts, both computed from a diagram graph
(:func:`blocksim_lstm.diagram_graph`):

- :func:`lstm_layout`, a deliberate drawing of one LSTM layer as a control
  engineer would draw it: signal flow left to right (input gains, the four
  gates one above the other, products and the cell sum, tanh, the FC layer),
  the two unit delays underneath on feedback paths drawn back to the left.
- :func:`cell_layout`, the same kind of drawing for one layer of the other
  cells (GRU, LSTM with peepholes, Elman RNN), each a hand-made placement
  given as data (a :class:`~blocksim_lstm.layout._plan.Plan`);
- :func:`layered_layout`, an automatic layered drawing for any diagram (stacked
  layers, the LTI construction, user diagrams): columns by longest path, delays
  on rows underneath, long wires through their own tracks.

Coordinates are abstract units, y upwards. All wires are orthogonal polylines.

A layout is drawn by :func:`draw_layout` (a matplotlib ``Figure``, wires
optionally painted by a cross-check, :class:`CrossCheckPaint`), checked by
:func:`overlaps`, and exported by :func:`to_dot` (Graphviz, with the layout's
positions) and :func:`to_graphml`. ``blocksim_lstm.draw`` does all of it in one
call for the common case.
"""

from ._cells import cell_layout as cell_layout
from ._cells import cell_of_graph as cell_of_graph
from ._export import to_dot as to_dot
from ._export import to_graphml as to_graphml
from ._geometry import Box as Box
from ._geometry import Layout as Layout
from ._geometry import Route as Route
from ._geometry import block_symbol as block_symbol
from ._geometry import junctions as junctions
from ._geometry import route_problems as route_problems
from ._layered import layered_layout as layered_layout
from ._lstm import lstm_layout as lstm_layout
from ._render import CrossCheckPaint as CrossCheckPaint
from ._render import draw_layout as draw_layout
from ._render import overlaps as overlaps

__all__ = [
    "Box",
    "CrossCheckPaint",
    "Layout",
    "Route",
    "block_symbol",
    "cell_layout",
    "cell_of_graph",
    "draw_layout",
    "junctions",
    "layered_layout",
    "lstm_layout",
    "overlaps",
    "route_problems",
    "to_dot",
    "to_graphml",
]
