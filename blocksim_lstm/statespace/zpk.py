"""Readable zero-pole-gain summaries of discrete systems (as MATLAB's ``zpk``)."""

from __future__ import annotations

import control as ct
import numpy as np

from .lti import check_discrete, markov_gain, poles, zeros
from .realization import minimal_realization

__all__ = ["zpk_summary"]


def _factor(r: complex, var: str) -> str:
    # round-off dust (e.g. a pole at the origin computed as 1e-17) is shown as 0
    r = complex(
        0.0 if abs(r.real) < 1e-10 else r.real, 0.0 if abs(r.imag) < 1e-10 else r.imag
    )
    if abs(r.imag) > 0:
        s, p = -2 * r.real, abs(r) ** 2
        sign = "+" if s >= 0 else "-"
        return f"({var}^2 {sign} {abs(s):.4g} {var} + {p:.4g})"
    if r.real == 0:
        return var
    sign = "-" if r.real > 0 else "+"
    return f"({var} {sign} {abs(r.real):.4g})"


def _factors(roots: np.ndarray, var: str) -> list[str]:
    single = [_factor(complex(r), var) for r in roots if r.imag >= -1e-10]
    out: list[str] = []  # the conjugate of a complex root is written with its partner
    for f in dict.fromkeys(single):  # repeated factors as powers, first-seen order
        k = single.count(f)
        out.append(f if k == 1 else f"{f}^{k}")
    return out


def zpk_summary(sys: ct.StateSpace, *, var: str = "z") -> str:
    """Readable zero-pole-gain form of each input-output channel.

    Real roots are written ``(z - r)``, complex pairs ``(z^2 + a z + b)``, as in
    MATLAB's ``zpk`` display, four significant digits, gain five. Each channel is
    first reduced to a minimal realization, so cancelling pole-zero pairs vanish.

    Parameters
    ----------
    sys
        Discrete-time (or continuous) system.
    var
        The transform variable's name (``"z"`` or ``"s"``).

    Returns
    -------
    str
        One line per channel (``"u[j] -> y[i]: ..."`` for several channels),
        e.g. ``0.078673 (z + 3.517)(z - 0.9608)(z + 0.2599) / ((z^2 - ...)...)``.
    """
    sys = check_discrete(sys)
    lines = []
    for i in range(sys.noutputs):
        for j in range(sys.ninputs):
            sub = ct.ss(sys.A, sys.B[:, [j]], sys.C[[i], :], sys.D[[i], [j]], sys.dt)
            sub = minimal_realization(sub)
            k = markov_gain(sub)
            if k == 0.0 or sub.nstates == 0:
                text = f"{k:.5g}"
            else:
                num = "".join(_factors(zeros(sub), var))
                den = _factors(poles(sub), var)
                den_s = den[0] if len(den) == 1 else "(" + "".join(den) + ")"
                text = f"{k:.5g} {num} / {den_s}" if num else f"{k:.5g} / {den_s}"
            if sys.noutputs * sys.ninputs > 1:
                text = f"u[{j}] -> y[{i}]: {text}"
            lines.append(text)
    return "\n".join(lines)
