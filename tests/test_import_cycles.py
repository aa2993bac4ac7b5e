"""Import cycles among the project's packages, imports inside functions counted: a lazy import
hides a cycle from Python, not from this check. There is none (issue 25): the library's floors
(zoo/data, the zoo, one cell, zoo/tracking, zoo/sweep), the report (reports/), the flows and
the registration step above them (publish/) each import only downwards. KNOWN_CYCLES stays
empty; a new cycle, or a module joining one, fails here.

Standalone (CI clones only this repository): a small AST graph, Tarjan's strongly connected
components. Imports under `if TYPE_CHECKING:` are left out (they never run).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("zoo", "flows", "reports", "publish")
# The floors that must stay out of every cycle (ARCHITECTURE.md: registering is its own step
# that uses reports/ as a library; nothing below imports it).
ACYCLIC = ("reports", "publish", "flows")

KNOWN_CYCLES: set[frozenset[str]] = set()
# Packages that import every project module at the top of the file: an import inside a
# function there would only hide an upward arrow (optional heavy libraries are not project
# modules and stay allowed, each with a comment why).
TOP_LEVEL_ONLY = ("zoo.sweep", "flows")


def module_names(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    out = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def _imported(node: ast.AST, package: str) -> list[str]:
    """Every dotted name an import statement may bind (`from a import b`: a and a.b)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    return [base, *(f"{base}.{a.name}" for a in node.names)]


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES,
                 ) -> dict[str, set[str]]:
    """Module -> the project modules it imports, at top level or inside a function."""
    modules = module_names(root, packages)

    def resolve(name: str) -> str | None:  # the longest project module `name` starts with
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skip = _type_checking_lines(tree)
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            found = {resolve(name) for name in _imported(node, package)}
            edges[mod] |= {m for m in found if m and m != mod}
    return edges


def cycles(edges: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.add(frozenset(comp))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(edges) + 100))
    try:
        for m in sorted(edges):
            if m not in index:
                visit(m)
    finally:
        sys.setrecursionlimit(limit)
    return out


def _show(found: set[frozenset[str]]) -> str:
    return "; ".join(", ".join(sorted(c)) for c in sorted(found, key=sorted)) or "none"


def test_the_check_sees_the_packages():
    edges = import_graph()
    assert len(edges) > 100  # a moved tree would otherwise pass vacuously
    assert "publish.register" in edges and "reports.registrations" in edges
    assert "reports.render" in edges["publish.register"]


def test_reports_and_the_registration_step_are_in_no_cycle():
    found = cycles(import_graph())
    bad = {c for c in found if any(m.split(".")[0] in ACYCLIC for m in c)}
    assert not bad, f"cycles through {', '.join(ACYCLIC)}: {_show(bad)}"


def test_nothing_below_imports_the_registration_step():
    """publish/ is imported only from the top of the stack: flows/ and the `zoo` command."""
    edges = import_graph()
    importers = {m for m, targets in edges.items()
                 if any(t.split(".")[0] == "publish" for t in targets)
                 and m.split(".")[0] != "publish"}
    assert importers <= {"zoo.cli", "flows.register"}, sorted(importers)
    assert not any(t.split(".")[0] in ("publish", "flows")
                   for m, targets in edges.items() if m.split(".")[0] == "reports"
                   for t in targets)


def test_no_new_import_cycle():
    found = cycles(import_graph())
    new = {c for c in found if c not in KNOWN_CYCLES}
    gone = KNOWN_CYCLES - found
    assert not new and not gone, (
        f"new or changed cycles: {_show(new)}. "
        f"Pinned cycles no longer found (drop or shrink them in KNOWN_CYCLES): {_show(gone)}")


def test_the_check_counts_imports_inside_functions(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n    return a\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\n"
                              "if TYPE_CHECKING:\n    from pkg import a\n")
    (pkg / "d.py").write_text("import pkg.a\n")
    edges = import_graph(tmp_path, ("pkg",))
    assert edges["pkg.b"] == {"pkg", "pkg.a"}  # the relative, in-function import
    assert edges["pkg.c"] == set()  # typing only
    assert cycles(edges) == {frozenset({"pkg.a", "pkg.b"})}


def in_function_project_imports(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES,
                                ) -> list[str]:
    """"module:line statement" for each import of a project module written in a function."""
    found = []
    for mod, path in module_names(root, packages).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                names = (_imported(node, mod) if not isinstance(node, ast.ImportFrom)
                         or not node.level else ["."])  # a relative import is the project's
                if any(n == "." or n.split(".")[0] in packages for n in names):
                    found.append(f"{mod}:{node.lineno} {ast.unparse(node)}")
    return sorted(set(found))


def test_the_sweep_and_the_flows_import_project_modules_at_the_top():
    late = [item for item in in_function_project_imports()
            if item.split(":")[0].startswith(TOP_LEVEL_ONLY)]
    assert not late, "move these imports to the top of their module: " + "; ".join(late)


def test_the_late_import_check_sees_them(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import json\n\ndef f():\n    import os\n    from pkg import b\n"
                              "    from . import c\n    return os, b, c, json\n")
    assert in_function_project_imports(tmp_path, ("pkg",)) == [
        "pkg.a:5 from pkg import b", "pkg.a:6 from . import c"]
