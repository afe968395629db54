"""The house's structure, read from the source: who imports whom, library manners.

The import graph is read with :mod:`ast` from every module of the package
(imports inside functions count: a lazy import is still a dependency), so a
new import that breaks the design fails here, not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "blocksim_lstm"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Package modules that module ``name`` imports (``from . import x`` too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        # "a.b.c" may be a module or a name inside module "a.b"
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "blocksim_lstm":
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "blocksim_lstm":
                continue
            for alias in node.names:
                full = f"{mod}.{alias.name}"
                add(full if full in known else mod)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (directly)."""
    mods = _modules()
    known = set(mods)
    return {m: _imports(m, p, known) for m, p in mods.items()}


def test_the_import_reader_sees_known_edges() -> None:
    # guards the reader itself: edges we know exist must be found
    g = import_graph()
    assert "blocksim_lstm._parameters" in g["blocksim_lstm._reference"]
    assert "blocksim_lstm._reference" in g["blocksim_lstm._crosscheck"]
    assert "blocksim_lstm._diagram" in g["blocksim_lstm._crosscheck"]
    assert "blocksim_lstm.blocks" in g["blocksim_lstm._diagram"]


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("blocksim_lstm._diagram", "blocksim_lstm._reference"),
        ("blocksim_lstm._reference", "blocksim_lstm._diagram"),
    ],
)
def test_diagram_and_reference_share_no_code(importer: str, imported: str) -> None:
    # the diagram never computes its own expected traces: the reference cell
    # and the diagram are siblings, only the cross-check uses both
    assert imported not in import_graph()[importer]


def test_library_never_switches_the_matplotlib_backend() -> None:
    calls = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("use", "switch_backend")
            ):
                calls.append(f"{name}:{node.lineno}")
            if isinstance(node, ast.ImportFrom | ast.Import) and any(
                a.name in ("matplotlib.pyplot", "pyplot") for a in node.names
            ):
                calls.append(f"{name}:{node.lineno} imports pyplot")
    assert calls == []


def _snippets() -> dict[str, str]:
    import re

    root = PACKAGE.parent
    out = {p.name: p.read_text(encoding="utf-8") for p in root.glob("examples/*.py")}
    readme = (root / "README.md").read_text(encoding="utf-8")
    for k, code in enumerate(re.findall(r"```python\n(.*?)```", readme, flags=re.S)):
        out[f"README block {k}"] = code
    return out


def test_readme_and_examples_use_the_public_api() -> None:
    # nothing from a private module; a name of the curated API is reached as
    # bl.<name>, not imported from the module that happens to define it
    import blocksim_lstm as bl

    bad = []
    for where, code in _snippets().items():
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and node.module:
                mod = node.module
                names = [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                mod, names = "", [a.name for a in node.names]
            else:
                continue
            dotted = [mod, *names] if mod else names
            if any(
                part.startswith("_") and part != "__future__"
                for d in dotted
                for part in d.split(".")
            ):
                bad.append(f"{where}: private import {ast.unparse(node)}")
            if mod.startswith("blocksim_lstm.") and set(names) & set(bl.__all__):
                bad.append(f"{where}: use bl.<name> for {ast.unparse(node)}")
    assert bad == []


def _closure(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for m in graph[todo.pop()] - seen:
            seen.add(m)
            todo.append(m)
    return seen


def test_no_import_circle() -> None:
    # imports inside functions count: a late import that hides a circle is
    # still a circle (the package root only imports for type checkers)
    import networkx as nx

    g = import_graph()
    dg = nx.DiGraph([(a, b) for a, bs in g.items() for b in bs if a != "blocksim_lstm"])
    assert list(nx.simple_cycles(dg)) == []


ENGINE = "blocksim_lstm.training"
BELOW_ENGINE_FORBIDDEN = (
    "blocksim_lstm.statespace.validation",
    "blocksim_lstm.statespace.extraction",
)
ORCHESTRATION = ("blocksim_lstm.studies", "blocksim_lstm.report", "blocksim_lstm.cli")


def test_the_training_engine_does_not_import_the_studies() -> None:
    g = import_graph()
    engine = [m for m in g if m == ENGINE or m.startswith(ENGINE + ".")]
    assert "blocksim_lstm.training.loop" in engine
    bad = {}
    for m in engine:
        above = {
            d
            for d in _closure(g, m)
            if d.startswith(ORCHESTRATION)
            or d
            in (
                "blocksim_lstm.statespace.validation",
                "blocksim_lstm.statespace.extraction",
            )
        }
        if above:
            bad[m] = sorted(above)
    assert bad == {}


def test_engines_do_not_import_the_layers_above() -> None:
    # statespace, the diagram and its cross-check never reach studies, report, CLI
    g = import_graph()
    bad = {}
    for m in g:
        if m.startswith(ORCHESTRATION) or m in (
            "blocksim_lstm",
            "blocksim_lstm.__main__",
        ):
            continue
        above = sorted(d for d in _closure(g, m) if d.startswith(ORCHESTRATION))
        if above:
            bad[m] = above
    assert bad == {}


def test_every_top_level_module_is_private_or_a_subpackage() -> None:
    # implementation modules are private (_diagram.py): a script imports from
    # ``blocksim_lstm`` or a public subpackage, never from the module behind it
    public = sorted(
        p.name
        for p in PACKAGE.glob("*.py")
        if not p.name.startswith("_") and p.name not in ("__init__.py",)
    )
    assert public == []


def _public_subpackages() -> list[str]:
    return sorted(
        p.parent.name
        for p in PACKAGE.glob("*/__init__.py")
        if not p.parent.name.startswith("_")
    )


def test_every_public_subpackage_lists_its_public_names() -> None:
    import importlib

    subs = _public_subpackages()
    assert {"layout", "statespace", "training", "dynamics", "studies"} <= set(subs)
    bad = {}
    for sub in subs:
        mod = importlib.import_module(f"blocksim_lstm.{sub}")
        names = getattr(mod, "__all__", None)
        if not names:
            bad[sub] = "no __all__"
            continue
        private = [n for n in names if n.startswith("_")]
        if private:
            bad[sub] = f"private names {private}"
        # a name is an attribute, or a submodule (statespace, studies)
        missing = []
        for n in names:
            if hasattr(mod, n):
                continue
            try:
                importlib.import_module(f"blocksim_lstm.{sub}.{n}")
            except ModuleNotFoundError:
                missing.append(n)
        if missing:
            bad[sub] = f"unknown names {missing}"
    assert bad == {}
