"""Linear systems and the LSTM: the LTI <-> LSTM family, one module per step.

- :mod:`.lti`: discrete state-space systems on python-control (the seed's
  plant, checks, simulation, poles, zeros, gains).
- :mod:`.realization`: minimal and balanced realizations.
- :mod:`.zpk`: a readable zero-pole-gain summary.
- :mod:`.construction`: LSTM weights that reproduce a system (SPEC section 4).
- :mod:`.extraction`: the linear system held by LSTM weights.
- :mod:`.accuracy`: the construction's error against its scale, and the scale
  chosen for a requested accuracy.
- :mod:`.validation`: a constructed LSTM against its system on fresh inputs.

The study that runs them all (the ``approximate`` command) is
:mod:`blocksim_lstm.studies.approximation`.

Imports run one way, down this list (``_linalg`` and ``_discretize`` are the
deterministic numerical routines underneath). The public names are these
modules, one per concept as in python-control (``statespace.lti.poles``,
``statespace.construction.construct``); the most used also sit at the top
(``blocksim_lstm.seed_plant``, ``construct``, ``extract_state_space``).
"""

__all__ = [
    "accuracy",
    "construction",
    "extraction",
    "lti",
    "realization",
    "validation",
    "zpk",
]
