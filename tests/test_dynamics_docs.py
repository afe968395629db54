"""Every public function of ``blocksim_lstm.dynamics`` documents each parameter
(python-control's rule: an undocumented public parameter fails a test)."""

from __future__ import annotations

import inspect
import re

import pytest

from blocksim_lstm import dynamics

PUBLIC = [
    (name, obj)
    for name, obj in vars(dynamics).items()
    if not name.startswith("_")
    and inspect.isfunction(obj)
    and obj.__module__.startswith("blocksim_lstm.dynamics")
]


def documented(doc: str, name: str) -> bool:
    """``name`` starts a line of the docstring, alone or in a comma list
    (``h0, c0 : ...``), or is the one-line docstring's subject in backticks."""
    for line in doc.splitlines():
        head = line.strip().split(" : ")[0]
        if name in [n.strip() for n in head.split(",")]:
            return True
    return f"``{name}``" in doc


def test_there_are_public_functions() -> None:
    assert len(PUBLIC) >= 20


@pytest.mark.parametrize(("name", "func"), PUBLIC, ids=[n for n, _ in PUBLIC])
def test_every_parameter_is_documented(name, func) -> None:
    doc = inspect.getdoc(func) or ""
    assert doc, f"{name} has no docstring"
    missing = [
        p
        for p in inspect.signature(func).parameters
        if p not in ("self", "cls") and not documented(doc, p)
    ]
    assert not missing, f"{name}: undocumented parameters {missing}"
    assert not re.search(r"\bTODO\b", doc)
