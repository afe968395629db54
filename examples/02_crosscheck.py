"""Cross-check every wire of the diagram against the vectorized reference cell,
then break the diagram on purpose and let the harness find the fault."""

import blocksim_lstm as bl

params, u = bl.seed_problem()
print(bl.crosscheck(params, u).table())
print()
print("\n".join(bl.crosscheck(params, u, dtype="float32").table().splitlines()[-2:]))

# Miswire it: swap the input gains of the input and forget gates.
broken = bl.build_lstm_diagram(params, u)
broken.blocks["Wi"].K, broken.blocks["Wf"].K = (
    broken.blocks["Wf"].K,
    broken.blocks["Wi"].K,
)
report = bl.crosscheck_diagram(broken)
print("\nmiswired diagram passed?", report.passed)
print(report.first_divergence.describe())
