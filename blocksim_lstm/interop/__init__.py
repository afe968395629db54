"""Bring your own LSTM: PyTorch, ONNX and Keras weights in, ONNX and PyTorch out.

GRU, Elman RNN (PyTorch ``nn.GRU``, ``nn.RNN``; ONNX ``GRU``, ``RNN``) and LSTM
with peepholes (ONNX ``LSTM`` with ``P``) come in through the same functions,
as :mod:`blocksim_lstm.cells` parameters.

None of the frameworks is imported by ``import blocksim_lstm.interop``: each is
imported by the function that needs it, and a missing one is reported with the
extra that installs it (``pip install 'blocksim-lstm[torch]'``, ``[onnx]``,
``[keras]``).
"""

from __future__ import annotations

from ._diagnose import GateOrderDiagnosis as GateOrderDiagnosis
from ._diagnose import diagnose_gate_order as diagnose_gate_order
from ._gates import KNOWN_ORDERS as KNOWN_ORDERS
from ._gates import LAYOUTS as LAYOUTS
from ._gates import all_orders as all_orders
from ._gates import convert_arrays as convert_arrays
from ._gates import describe_order as describe_order
from ._gates import parse_order as parse_order
from ._gates import reorder_blocks as reorder_blocks
from ._keras import read_keras as read_keras
from ._load import SUFFIXES as SUFFIXES
from ._load import read_network as read_network
from ._network import ImportedNetwork as ImportedNetwork
from ._network import UnsupportedModelError as UnsupportedModelError
from ._onnx import onnx_model as onnx_model
from ._onnx import read_onnx as read_onnx
from ._onnx import write_onnx as write_onnx
from ._torch import TorchNetwork as TorchNetwork
from ._torch import from_torch as from_torch
from ._torch import read_torch as read_torch
from ._torch import to_torch as to_torch
from ._torch import torch_layers as torch_layers
from ._torch import write_torch as write_torch

__all__ = [
    "KNOWN_ORDERS",
    "LAYOUTS",
    "SUFFIXES",
    "GateOrderDiagnosis",
    "ImportedNetwork",
    "TorchNetwork",
    "UnsupportedModelError",
    "all_orders",
    "convert_arrays",
    "describe_order",
    "diagnose_gate_order",
    "from_torch",
    "onnx_model",
    "read_keras",
    "read_network",
    "read_onnx",
    "parse_order",
    "read_torch",
    "reorder_blocks",
    "to_torch",
    "torch_layers",
    "write_onnx",
    "write_torch",
]
