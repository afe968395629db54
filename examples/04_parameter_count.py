"""How many parameters an LSTM has: 4 Nn (Ni + Nn + 1), quadratic in the units.

The seed's example: two 100-unit layers in series hold 120000 weights in their
R arrays and the second layer's W alone. A log-log plot shows the growth.
"""

from pathlib import Path

import blocksim_lstm as bl

print("one layer, Ni=4, Nn=3:", bl.lstm_count(4, 3))  # 96, the seed's layer
two = bl.count_network(1, [100, 100], no=1)
print(two.table())
print("R arrays + second layer's W:", two.core_weights())  # 120000
for nn in (10, 100, 1000):
    print(f"Nn = {nn:5d}: {bl.lstm_count(1, nn):>10,d} parameters (Ni = 1)")
print("wrote", bl.plot_param_growth(Path("param_growth.png")))
