"""Code a newcomer can live in: no module over 400 lines and no function over 60 lines in
the product packages (zoo/, flows/, reports/, publish/; infra scripts, tests and benchmarks aside).
Issue 12 set the limits; a file or function that grows past them is split along a seam."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("zoo", "flows", "reports", "publish")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60  # decorators excluded, docstring included


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _long_functions(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.relative_to(root)}:{node.lineno} {node.name} "
            f"({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_the_check_sees_the_packages():
    assert len(_sources()) > 50  # a moved tree would otherwise pass vacuously


def test_no_module_over_400_lines():
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for p in _sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES]
    assert not long, "split these modules: " + ", ".join(long)


def test_no_function_over_60_lines():
    long = [item for p in _sources() for item in _long_functions(p)]
    assert not long, "split these functions: " + ", ".join(long)


def test_the_function_check_measures_what_it_says(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    path = tmp_path / "long.py"
    path.write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n")
    found = [item.split()[1] for item in _long_functions(path, tmp_path)]
    assert found == ["long"]  # 61 lines with its def line; `short` is not reported

