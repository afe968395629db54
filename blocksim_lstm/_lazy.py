"""Modules imported on first use, so that a command pays only for what it runs.

``python-control`` (and through it ``scipy.signal`` and ``matplotlib.pyplot``)
costs most of a second to import; ``train`` on the seed's plant needs none of it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["LazyModule"]


class LazyModule:
    """Stands for the module ``name``, importing it at the first attribute access.

    Unlike ``importlib.util.LazyLoader`` it puts nothing in ``sys.modules`` until
    the module is really imported.

    Parameters
    ----------
    name
        Absolute module name (``"control"``, ``"scipy.linalg"``).
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"
