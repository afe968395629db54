"""Every public function documents every parameter (as python-control checks).

Public: the names of ``blocksim_lstm.__all__`` and of the ``__all__`` of every
module whose path has no ``_`` part, with their classes' public methods. A
parameter counts as documented when a numpydoc ``Parameters`` (or, for a
dataclass's fields, ``Attributes``) section names it, alone or in a group
(``nn, ni, no``), ``*args``/``**kwargs`` with or without the stars.
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

# Known gaps, to be documented (the test fails when one is fixed and still
# listed, so this list only shrinks). Each entry: qualified name.
KNOWN_GAPS: frozenset[str] = frozenset(
    {
        "blocksim_lstm._validate.check_input",
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
        "blocksim_lstm.cli.analyze.add_arguments",
        "blocksim_lstm.cli.analyze.run",
        "blocksim_lstm.cli.approximate.add_arguments",
        "blocksim_lstm.cli.approximate.run",
        "blocksim_lstm.cli.main",
        "blocksim_lstm.diagram.name_wires",
        "blocksim_lstm.diagram.run_bytes",
        "blocksim_lstm.export.to_dot",
        "blocksim_lstm.export.to_graphml",
        "blocksim_lstm.graph.Connection",
        "blocksim_lstm.graph.bypass_block",
        "blocksim_lstm.graph.is_delay_block",
        "blocksim_lstm.graph.wiring",
        "blocksim_lstm.graph.wiring_of_diagram",
        "blocksim_lstm.layout._geometry.Box",
        "blocksim_lstm.layout._geometry.Layout",
        "blocksim_lstm.layout._geometry.Route",
        "blocksim_lstm.layout._geometry.block_symbol",
        "blocksim_lstm.layout._geometry.junctions",
        "blocksim_lstm.layout._geometry.route_problems",
        "blocksim_lstm.loops.AlgebraicLoopError",
        "blocksim_lstm.loops.StructureReport",
        "blocksim_lstm.loops.algebraic_loops",
        "blocksim_lstm.loops.check_no_algebraic_loops",
        "blocksim_lstm.loops.evaluation_order",
        "blocksim_lstm.param_count.ArrayCount",
        "blocksim_lstm.param_count.ParamCount",
        "blocksim_lstm.param_count.ParamCount.by_name",
        "blocksim_lstm.param_count.count_lstm",
        "blocksim_lstm.param_count.count_params",
        "blocksim_lstm.param_count.fc_count",
        "blocksim_lstm.param_count.lstm_count",
        "blocksim_lstm.reference.LSTMTrace.gate_block",
        "blocksim_lstm.reference.sigmoid",
        "blocksim_lstm.render.CrossCheckPaint.from_report",
        "blocksim_lstm.report.context.ReportContext.save_figure",
        "blocksim_lstm.report.document.Figure",
        "blocksim_lstm.report.document.Paragraph",
        "blocksim_lstm.report.document.Pre",
        "blocksim_lstm.report.document.Section",
        "blocksim_lstm.report.document.Section.figure",
        "blocksim_lstm.report.document.Section.p",
        "blocksim_lstm.report.document.Section.pre",
        "blocksim_lstm.report.document.Section.table",
        "blocksim_lstm.report.document.Table",
        "blocksim_lstm.report.document.render_html",
        "blocksim_lstm.report.document.render_markdown",
        "blocksim_lstm.report.precision.Spread.of",
        "blocksim_lstm.report.precision.Spread.text",
        "blocksim_lstm.report.sections.claims.claims",
        "blocksim_lstm.report.sections.dynamics.dynamics",
        "blocksim_lstm.report.sections.structure.diagram_and_loops",
        "blocksim_lstm.report.sections.structure.parameter_count",
        "blocksim_lstm.statespace.accuracy.ErrorModel.predict",
        "blocksim_lstm.statespace.accuracy.design_input",
        "blocksim_lstm.statespace.construction.check_scl",
        "blocksim_lstm.statespace.construction.lstm_from_state_space_nx",
        "blocksim_lstm.statespace.construction.nx_feedthrough",
        "blocksim_lstm.statespace.lti.check_discrete",
        "blocksim_lstm.statespace.lti.check_system_input",
        "blocksim_lstm.statespace.lti.dcgain",
        "blocksim_lstm.statespace.lti.markov_gain",
        "blocksim_lstm.statespace.lti.match_distance",
        "blocksim_lstm.statespace.lti.poles",
        "blocksim_lstm.statespace.lti.save_system",
        "blocksim_lstm.statespace.lti.system_bytes",
        "blocksim_lstm.statespace.lti.zeros",
        "blocksim_lstm.statespace.realization.hankel_singular_values",
        "blocksim_lstm.statespace.validation.plot_linearity",
        "blocksim_lstm.statespace.validation.plot_validation",
        "blocksim_lstm.statespace.validation.validation_input",
        "blocksim_lstm.statespace.zpk.zpk_summary",
        "blocksim_lstm.studies.approximation.approximate_bytes",
        "blocksim_lstm.studies.gallery.DiagramEntry",
        "blocksim_lstm.studies.gallery.text_files",
        "blocksim_lstm.studies.training.extracted_summary",
        "blocksim_lstm.training.bptt.loss",
        "blocksim_lstm.training.bptt.pack",
        "blocksim_lstm.training.bptt.segments",
        "blocksim_lstm.training.bptt.unpack",
        "blocksim_lstm.training.checkpoint.load_checkpoint",
        "blocksim_lstm.training.checkpoint.load_data",
        "blocksim_lstm.training.checkpoint.save_checkpoint",
        "blocksim_lstm.training.checkpoint.save_data",
        "blocksim_lstm.training.loop.NonFiniteLossError",
        "blocksim_lstm.training.loop.resumable",
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


def public_modules() -> list[str]:
    names = ["blocksim_lstm"]
    for m in pkgutil.walk_packages(bl.__path__, "blocksim_lstm."):
        if not any(part.startswith("_") for part in m.name.split(".")):
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
