"""Stateless element-wise blocks: sigmoid, tanh, ReLU, element-wise product, affine
map."""

from __future__ import annotations

from typing import Any

import numpy as np
from bdsim import FunctionBlock
from numpy.typing import ArrayLike
from scipy.special import expit

from ._signal import as_vector

__all__ = ["Affine", "EProd", "MatGain", "ReLU", "Sigmoid", "Tanh"]


class Sigmoid(FunctionBlock):
    r"""
    :blockname:`SIGMOID`

    Element-wise logistic sigmoid (MATLAB's ``logsig``).

    :inputs: 1
    :outputs: 1
    :states: 0

    .. list-table::
        :header-rows: 1

        *   - Port type
            - Port number
            - Types
            - Description
        *   - Input
            - 0
            - ndarray(N)
            - :math:`x`
        *   - Output
            - 0
            - ndarray(N)
            - :math:`1 / (1 + e^{-x})`
    """

    nin = 1
    nout = 1
    symbol = "σ"

    def __init__(self, **blockargs: Any) -> None:
        super().__init__(nin=1, nout=1, **blockargs)

    def output(self, t: float, inputs: list[Any], x: Any) -> list[Any]:
        return [expit(as_vector(self.name, 0, inputs[0]))]


class Tanh(FunctionBlock):
    r"""
    :blockname:`TANH`

    Element-wise hyperbolic tangent (MATLAB's ``tansig``).

    :inputs: 1
    :outputs: 1
    :states: 0

    .. list-table::
        :header-rows: 1

        *   - Port type
            - Port number
            - Types
            - Description
        *   - Input
            - 0
            - ndarray(N)
            - :math:`x`
        *   - Output
            - 0
            - ndarray(N)
            - :math:`\tanh x`
    """

    nin = 1
    nout = 1
    symbol = "tanh"

    def __init__(self, **blockargs: Any) -> None:
        super().__init__(nin=1, nout=1, **blockargs)

    def output(self, t: float, inputs: list[Any], x: Any) -> list[Any]:
        return [np.tanh(as_vector(self.name, 0, inputs[0]))]


class ReLU(FunctionBlock):
    r"""
    :blockname:`RELU`

    Element-wise rectifier :math:`\max(x, 0)` (MATLAB's ``poslin``), exact: the
    output is the input or zero; NaN passes through.

    Parameters
    ----------
    **blockargs
        bdsim's block options (``name``, ``bd``, ...).

    :inputs: 1
    :outputs: 1
    :states: 0

    .. list-table::
        :header-rows: 1

        *   - Port type
            - Port number
            - Types
            - Description
        *   - Input
            - 0
            - ndarray(N)
            - :math:`x`
        *   - Output
            - 0
            - ndarray(N)
            - :math:`\max(x, 0)`
    """

    nin = 1
    nout = 1
    symbol = "relu"

    def __init__(self, **blockargs: Any) -> None:
        super().__init__(nin=1, nout=1, **blockargs)

    def output(self, t: float, inputs: list[Any], x: Any) -> list[Any]:
        return [np.maximum(as_vector(self.name, 0, inputs[0]), 0.0)]


class EProd(FunctionBlock):
    r"""
    :blockname:`EPROD`

    Element-wise (Hadamard) product of two vectors of equal width. bdsim's own
    ``PROD`` uses ``@`` on arrays, which gives a dot product.

    :inputs: 2
    :outputs: 1
    :states: 0

    .. list-table::
        :header-rows: 1

        *   - Port type
            - Port number
            - Types
            - Description
        *   - Input
            - 0
            - ndarray(N)
            - :math:`a`
        *   - Input
            - 1
            - ndarray(N)
            - :math:`b`
        *   - Output
            - 0
            - ndarray(N)
            - :math:`a \odot b`
    """

    nin = 2
    nout = 1
    symbol = "×"

    def __init__(self, **blockargs: Any) -> None:
        super().__init__(nin=2, nout=1, **blockargs)

    def output(self, t: float, inputs: list[Any], x: Any) -> list[Any]:
        a = as_vector(self.name, 0, inputs[0])
        b = as_vector(self.name, 1, inputs[1], a.shape[0])
        return [a * b]


class Affine(FunctionBlock):
    r"""
    :blockname:`AFFINE`

    Matrix gain with bias, :math:`y = K u + b`: a fully connected layer.

    :inputs: 1
    :outputs: 1
    :states: 0

    .. list-table::
        :header-rows: 1

        *   - Port type
            - Port number
            - Types
            - Description
        *   - Input
            - 0
            - ndarray(N)
            - :math:`u`
        *   - Output
            - 0
            - ndarray(M)
            - :math:`K u + b`
    """

    nin = 1
    nout = 1
    symbol = "K"

    def __init__(self, K: ArrayLike, bias: ArrayLike | None = None, **blockargs: Any):
        """
        :param K: gain matrix, shape (M, N)
        :type K: array_like
        :param bias: bias vector, shape (M,), zeros by default
        :type bias: array_like, optional
        """
        super().__init__(nin=1, nout=1, **blockargs)
        K = np.array(K, dtype=float)
        if K.ndim != 2:
            raise ValueError(f"K: expected a 2-D matrix, got shape {K.shape}")
        bias = np.zeros(K.shape[0]) if bias is None else np.array(bias, dtype=float)
        if bias.shape != (K.shape[0],):
            raise ValueError(
                f"bias: expected shape ({K.shape[0]},), got shape {bias.shape}"
            )
        self.K = K
        self.bias = bias

    def output(self, t: float, inputs: list[Any], x: Any) -> list[Any]:
        u = as_vector(self.name, 0, inputs[0], self.K.shape[1])
        return [self.K @ u + self.bias]


class MatGain(FunctionBlock):
    r"""
    :blockname:`MATGAIN`

    Matrix gain :math:`y = K u`, with ``K`` given as rows (a JSON list in a model
    file). bdsim's ``GAIN`` applies a list ``K`` element-wise; this block always
    takes ``K`` as a matrix and premultiplies.

    Parameters
    ----------
    K : array_like, shape (M, N)
        The gain matrix, as a list of rows.
    **blockargs
        bdsim's block options (``name``, ``bd``, ...).

    :inputs: 1
    :outputs: 1
    :states: 0

    .. list-table::
        :header-rows: 1

        *   - Port type
            - Port number
            - Types
            - Description
        *   - Input
            - 0
            - ndarray(N)
            - :math:`u`
        *   - Output
            - 0
            - ndarray(M)
            - :math:`K u`
    """

    nin = 1
    nout = 1
    symbol = "K"

    def __init__(self, K: ArrayLike | None = None, **blockargs: Any) -> None:
        """
        :param K: gain matrix, shape (M, N), as rows
        :type K: array_like
        """
        super().__init__(nin=1, nout=1, **blockargs)
        K = np.array(K, dtype=float)
        if K.ndim != 2 or K.size == 0:
            raise ValueError(
                f"block {self.name!r}: K: expected a matrix (a list of rows), "
                f"got shape {K.shape}"
            )
        if not np.all(np.isfinite(K)):
            raise ValueError(f"block {self.name!r}: K: expected finite values")
        self.K = K

    def output(self, t: float, inputs: list[Any], x: Any) -> list[Any]:
        u = as_vector(self.name, 0, inputs[0], self.K.shape[1])
        return [self.K @ u]
