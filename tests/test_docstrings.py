"""Every public function documents every parameter (as python-control checks).

Public: the names of ``blocksim_lstm.__all__`` and of the ``__all__`` of every
module whose path has no ``_`` part or that is a top-level ``blocksim_lstm._x``
behind the API, with their classes' public methods. A parameter counts as
documented when a numpydoc ``Parameters`` (or, for a dataclass's fields,
``Attributes``) section names it, alone or in a group (``nn, ni, no``),
``*args``/``**kwargs`` with or without the stars.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest

import blocksim_lstm as bl

SECTIONS = ("Parameters", "Other Parameters", "Attributes")

# Known gaps (the test fails when one is fixed and still listed, so this list
# only shrinks). Each entry: qualified name.
KNOWN_GAPS: frozenset[str] = frozenset(
    {
        # bdsim blocks document their arguments bdsim's way (``:param x:`` in
        # ``__init__``, the port table in the class docstring, which bdsim parses)
        "blocksim_lstm.blocks.functions.Affine",
        "blocksim_lstm.blocks.functions.EProd",
        "blocksim_lstm.blocks.functions.Sigmoid",
        "blocksim_lstm.blocks.functions.Tanh",
        "blocksim_lstm.blocks.sampled.Sequence",
        "blocksim_lstm.blocks.sampled.Sequence.next",
        "blocksim_lstm.blocks.sampled.Sequence.output",
        "blocksim_lstm.blocks.sampled.UnitDelay",
        "blocksim_lstm.blocks.sampled.UnitDelay.next",
        "blocksim_lstm.blocks.sampled.UnitDelay.output",
        "blocksim_lstm.blocks.sinks.Logger",
        # the sweep moves to studies/ on its own branch (issue 15)
        "blocksim_lstm.studies.sweep.SweepRun.initial",
        "blocksim_lstm.studies.sweep.by_seed",
        "blocksim_lstm.studies.sweep.read_table",
        "blocksim_lstm.studies.sweep.spread_by",
    }
)


def documented(doc: str | None) -> set[str]:
    """Names listed in the docstring's Parameters/Attributes sections."""
    if not doc:
        return set()
    lines = inspect.cleandoc(doc).splitlines()
    names: set[str] = set()
    inside = False
    for k, line in enumerate(lines):
        underline = k + 1 < len(lines) and set(lines[k + 1].strip()) == {"-"}
        if underline and line.strip():
            inside = line.strip() in SECTIONS
            continue
        if inside and line and not line.startswith(" ") and set(line) != {"-"}:
            for name in line.split(" : ")[0].split(","):
                names.add(name.strip().lstrip("*"))
    return names


def parameters(obj: Any) -> list[str]:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return []
    return [p for p in sig.parameters if p not in ("self", "cls")]


# top-level private modules that only the package itself uses (files, checks)
INTERNAL = ("__main__", "_files", "_validate", "_sweep_worker")


def public_modules() -> list[str]:
    """Public modules, and the private modules behind the top-level API.

    ``blocksim_lstm._diagram`` and its siblings are private so that scripts
    import from ``blocksim_lstm``; their ``__all__`` is what ``bl.`` re-exports
    and the result types users receive (``StructureReport``, ``LSTMTrace``), so
    they are held to the same standard.
    """
    names = ["blocksim_lstm"]
    for m in pkgutil.walk_packages(bl.__path__, "blocksim_lstm."):
        parts = m.name.split(".")
        if not any(part.startswith("_") for part in parts) or (
            len(parts) == 2 and parts[1] not in INTERNAL
        ):
            names.append(m.name)
    return names


def _implements_foreign(cls: type, method: str) -> bool:
    """``method`` overrides one of another package's bases (bdsim's ``output``)."""
    return any(
        method in vars(base)
        for base in cls.__mro__[1:]
        if not base.__module__.startswith("blocksim_lstm")
    )


def public_callables() -> Iterator[tuple[str, Any]]:
    seen: set[int] = set()
    for mname in public_modules():
        mod = importlib.import_module(mname)
        for name in getattr(mod, "__all__", ()):
            if not hasattr(mod, name):  # a submodule named in __all__
                importlib.import_module(f"{mname}.{name}")
            obj = getattr(mod, name)
            if id(obj) in seen or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            seen.add(id(obj))
            qual = f"{obj.__module__}.{obj.__qualname__}"
            yield qual, obj
            if inspect.isclass(obj):
                for mn, m in vars(obj).items():
                    f = m.__func__ if isinstance(m, classmethod | staticmethod) else m
                    if (
                        not mn.startswith("_")
                        and inspect.isfunction(f)
                        and not _implements_foreign(obj, mn)
                    ):
                        yield f"{qual}.{mn}", f


def undocumented() -> dict[str, list[str]]:
    gaps = {}
    for qual, obj in public_callables():
        missing = [p for p in parameters(obj) if p not in documented(obj.__doc__)]
        if missing:
            gaps[qual] = missing
    return gaps


def test_the_reader_finds_parameters_and_gaps() -> None:
    def f(a: int, b: int, *, c: int = 0, **extra: int) -> None:
        """Do it.

        Parameters
        ----------
        a, b : int
            Numbers.
        **extra
            More.

        Returns
        -------
        c
            Not a parameter section.
        """

    assert documented(f.__doc__) == {"a", "b", "extra"}
    assert [p for p in parameters(f) if p not in documented(f.__doc__)] == ["c"]


def test_the_public_api_is_fully_documented() -> None:
    gaps = []
    for name in bl.__all__:
        obj = getattr(bl, name)
        items = [(name, obj)]
        if inspect.isclass(obj):
            for mn, m in vars(obj).items():
                f = m.__func__ if isinstance(m, classmethod | staticmethod) else m
                if not mn.startswith("_") and inspect.isfunction(f):
                    items.append((f"{name}.{mn}", f))
        for qual, f in items:
            if not (inspect.isfunction(f) or inspect.isclass(f)):
                continue
            missing = [p for p in parameters(f) if p not in documented(f.__doc__)]
            if missing:
                gaps.append((qual, missing))
    assert gaps == []


def test_every_public_parameter_is_documented() -> None:
    gaps = undocumented()
    new = {q: m for q, m in gaps.items() if q not in KNOWN_GAPS}
    assert new == {}, f"undocumented parameters: {new}"
    fixed = sorted(KNOWN_GAPS - set(gaps))
    assert fixed == [], f"documented now: remove from KNOWN_GAPS: {fixed}"


@pytest.mark.parametrize("name", bl.__all__)
def test_public_names_have_a_docstring(name: str) -> None:
    obj = getattr(bl, name)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        assert (obj.__doc__ or "").strip(), name
