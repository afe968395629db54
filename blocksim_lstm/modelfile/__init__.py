"""The LSTM diagram as a ``.bd`` model file: bdsim's runner runs it, bdedit opens it.

- :func:`model_text` writes a diagram in bdedit's schema, with positions from the
  package's layout; every parameter a JSON value (``bdrun --safe-eval`` loads it).
- :func:`load_model` loads a ``.bd`` file back into a diagram the rest of the
  package accepts (run, graph, loops, draw, cross-check), the weights read from
  the model's own blocks; bad files get one-line errors naming the block.
"""

from ._load import ModelDiagram as ModelDiagram
from ._load import load_model as load_model
from ._read import ModelFileError as ModelFileError
from ._read import read_model as read_model
from ._write import model_dict as model_dict
from ._write import model_text as model_text

__all__ = [
    "ModelDiagram",
    "ModelFileError",
    "load_model",
    "model_dict",
    "model_text",
    "read_model",
]
