"""Cross-check every wire of the diagram against the vectorized reference cell,
then break the diagram on purpose and let the harness find the fault."""

from blocksim_lstm._crosscheck import crosscheck, crosscheck_diagram
from blocksim_lstm.diagram import build_lstm_diagram
from blocksim_lstm.experiment import seed_problem

params, u = seed_problem()
print(crosscheck(params, u).table())
print()
print("\n".join(crosscheck(params, u, dtype="float32").table().splitlines()[-2:]))

# Miswire it: swap the input gains of the input and forget gates.
broken = build_lstm_diagram(params, u)
broken.blocks["Wi"].K, broken.blocks["Wf"].K = (
    broken.blocks["Wf"].K,
    broken.blocks["Wi"].K,
)
report = crosscheck_diagram(broken)
print("\nmiswired diagram passed?", report.passed)
print(report.first_divergence.describe())
