"""An independent, deliberately plain LSTM: per gate, per unit, scalar loops.

Written straight from SPEC section 1 with no code shared with the package, so it
can serve as the independent computation in cross-checks.
"""

from __future__ import annotations

import math

import numpy as np


def lstm_loops(W, R, b, F, bF, h0, c0, u):
    """Return y (T, No), h (T, Nn), c (T, Nn) by scalar loops."""
    W, R, b, F, bF = (np.asarray(a, dtype=float) for a in (W, R, b, F, bF))
    nn = R.shape[1]
    h = [float(v) for v in h0]
    c = [float(v) for v in c0]
    ys, hs, cs = [], [], []
    for row in np.asarray(u, dtype=float):
        pre = {}
        for k, gate in enumerate("ifgo"):
            pre[gate] = [
                sum(W[k * nn + j, m] * row[m] for m in range(len(row)))
                + sum(R[k * nn + j, m] * h[m] for m in range(nn))
                + b[k * nn + j]
                for j in range(nn)
            ]
        i = [1.0 / (1.0 + math.exp(-v)) for v in pre["i"]]
        f = [1.0 / (1.0 + math.exp(-v)) for v in pre["f"]]
        g = [math.tanh(v) for v in pre["g"]]
        o = [1.0 / (1.0 + math.exp(-v)) for v in pre["o"]]
        c = [f[j] * c[j] + i[j] * g[j] for j in range(nn)]
        h = [o[j] * math.tanh(c[j]) for j in range(nn)]
        ys.append(
            [sum(F[r, j] * h[j] for j in range(nn)) + bF[r] for r in range(len(bF))]
        )
        hs.append(list(h))
        cs.append(list(c))
    return np.array(ys), np.array(hs), np.array(cs)
