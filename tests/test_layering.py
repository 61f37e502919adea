"""The package's layering, read from its source: each module imports only what lies below it.

Floors, bottom up (a module may import its own folder and anything on a lower floor):
errors; file helpers and int8 quantisation; the Doc contract, IRIs, literals, inputs and other leaf helpers; shared model
parts, scoring and training helpers; the pipe base class, KB and KGE; the components (no component imports
another); RDF and supervision; corpora, the extraction engine, the KG feedback and pictures of Docs;
the extraction engine on Ray; the HTTP service; the CLI, whose command
modules never import each other (``cli/__init__`` assembles them).
"""

import ast
from pathlib import Path
from typing import Dict, Set

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kgx_spacy"
FLOORS = [
    {"errors"},
    {"io", "quantize"},
    {"iris", "extensions", "literals", "inputs", "encoders"},
    {"ml", "evaluation", "training"},
    {"pipe", "kb", "kge"},
    {"ner", "relations", "attributes", "linking"},
    {"rdf", "supervision"},
    {"corpora", "extract", "feedback", "view"},
    {"distributed"},
    {"serve"},
    {"cli"},
]
FLOOR = {unit: level for level, units in enumerate(FLOORS) for unit in units}
ASSEMBLERS = {"kgx_spacy.cli", "kgx_spacy.cli.__main__"}  # may import the command modules


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Set[str]:
    """Every kgx_spacy module ``path`` imports (at any depth of its code)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("kgx_spacy"):
                found.add(target)
                # ``from . import x`` / ``from .. import iris`` name modules too
                found.update(f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kgx_spacy"))
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def unit(name: str) -> str:
    """The top-level module or folder of a kgx_spacy module (``kgx_spacy.rdf.store`` → rdf)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


GRAPH: Dict[str, Set[str]] = {module_name(p): imported(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_unit_has_a_floor():
    units = {unit(name) for name in GRAPH} - {""}
    assert units <= set(FLOOR), f"put {sorted(units - set(FLOOR))} on a floor"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_down(module):
    here = unit(module)
    for target in GRAPH[module]:
        there = unit(target)
        if module == "kgx_spacy" or there in ("", here):
            continue
        assert FLOOR[there] < FLOOR[here], f"{module} imports {target}: {there} is not below {here}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if unit(m) == "cli" and m not in ASSEMBLERS))
def test_no_cli_module_imports_another(module):
    others = {t for t in GRAPH[module] if unit(t) == "cli"}
    assert not others, f"{module} imports {sorted(others)}"


def test_no_import_circle():
    modules = {m for m in GRAPH}
    edges = {m: {t for t in GRAPH[m] if t in modules and t != m} for m in modules}
    # A package imports its submodules to re-export them; that is not a circle of ideas.
    for m in modules:
        edges[m] = {t for t in edges[m] if not (t.startswith(m + ".") and _is_package(m))}
    state: Dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for t in edges[m]:
            if state.get(t) == 1:
                raise AssertionError("import circle: " + " → ".join(path[path.index(t):] + [t]))
            if t not in state:
                visit(t, path + [t])
        state[m] = 2

    for m in sorted(modules):
        if m not in state:
            visit(m, [m])


def _is_package(name: str) -> bool:
    return (PACKAGE.parent.joinpath(*name.split(".")) / "__init__.py").is_file()


def test_the_check_sees_a_violation(tmp_path):
    """The reader finds a relative import two floors up (so the checks above can fail)."""
    fake = PACKAGE / "ner" / "component.py"
    assert "kgx_spacy.pipe" in imported(fake) and "kgx_spacy.extensions" in imported(fake)
    assert FLOOR["rdf"] > FLOOR["ner"]  # so ner importing rdf would fail test_imports_go_down
