"""Studies: the workflows that run the engines and gather their results.

One layer between the engines (the diagram and its cross-check,
:mod:`blocksim_lstm.statespace`, :mod:`blocksim_lstm.training`) and the
command line and report that present the results:

- :mod:`.approximation`: construct, check and validate an LSTM for a linear
  system (the ``approximate`` command).
- :mod:`.training`: the seed's training studies (calculated and random
  starts, SPEC section 5).
- :mod:`.sweep`: many trainings (seeds x hyperparameters) on worker
  processes or a Dask cluster, gathered into one table (the ``sweep`` command
  and the report's sensitivity section).
- :mod:`.gallery`: every package diagram, laid out, drawn and exported.

The engines never import this package. The public names are these modules
(``studies.training.run_study``); :func:`blocksim_lstm.approximate` is the
approximation study at the top.
"""

__all__ = ["approximation", "gallery", "training"]
