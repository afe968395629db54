"""Build the seed's LSTM layer as a bdsim block diagram and run it.

The diagram is an ordinary bdsim diagram: 30 blocks, two unit-delay feedback loops
(Hidden State and Cell State). Run it, then read any wire's trace.
"""

import numpy as np

import blocksim_lstm as bl

params, u = bl.seed_problem()  # Nn=3, Ni=4, No=2, 51 steps of N(0,1), seed 0
diagram = bl.build_lstm_diagram(params, u, ts=0.1)
print(f"{len(diagram.bd.blocklist)} blocks, {len(diagram.bd.wirelist)} wires")
print("evaluation order:", ", ".join(diagram.evaluation_order()))

run = diagram.run()
print("y(t) for the first three steps:\n", np.round(run.y[:3], 6))
# a wire by its SPEC label ("f", "c(t-1)", ...) or by its block's name
print("forget gate f at t = 0:", np.round(run.signals["f"][0], 6))
print(
    "cell state c(t-1) seen by the Cell State delay at t = 1:",
    np.round(run.signals["c(t-1)"][1], 6),
)

# The same diagram through bdsim's own API: run it, read the To Workspace sink.
# (bdsim evaluates t = 0 and every tick t = k Ts; the step counter in the blocks
# makes the tick at t = (k + 1) Ts step k, so T = N Ts gives exactly N steps.)
out = diagram.sim.run(diagram.bd, T=diagram.steps * diagram.ts)
logged = diagram.blocks["To Workspace"].data  # (51, 2), t = 0 left out
print(
    "bdsim run: clock ticks",
    len(out.clock.t),
    "| logged y equals run.y:",
    bool(np.array_equal(logged, run.y)),
)
